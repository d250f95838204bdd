/* smc: self-modifying code. Thumb machine code written by hand into RAM,
   called (address | 1), rewritten and called again.
   a) rewrite + dsb; isb (16-bit movs, 32-bit movw, a movw replaced by
      movs + bx lr and back);
   b) rewrite without barriers (halfword, word, byte and doubleword stores);
   c) a function called 1000 times (hot for a JIT), then rewritten;
      stores to data next to it leave it alone;
   d) a function that stores to an instruction further on in its own
      straight-line run and falls through into it;
   e) loops whose body is rewritten every iteration, by the loop itself
      and by its caller;
   f) aliases: code written through one mapping of a RAM and run through
      the other (SSRAM2/3 at 0x20000000 and 0x20400000, SSRAM1 at 0 and
      0x00400000).
   The buffers are in SSRAM2/3 (.bss) and, for f), in SSRAM1 with the
   code: without the MPU the default memory map lets both execute.
   QEMU invalidates translations on every store to RAM holding code and
   ends a translation block at isb, so everything here sees the new code
   except d) without barriers, which the architecture leaves open (see
   there). */
#include "lib.h"

/* 16-bit Thumb encodings. */
#define MOVS(rd, imm) (0x2000u | (rd) << 8 | ((imm) & 0xffu))
#define ADDS8(rdn, imm) (0x3000u | (rdn) << 8 | ((imm) & 0xffu))
#define ADDS3(rd, rn, rm) (0x1800u | (rm) << 6 | (rn) << 3 | (rd))
#define LSLS(rd, rm, sh) ((sh) << 6 | (rm) << 3 | (rd))
#define ORRS(rdn, rm) (0x4300u | (rm) << 3 | (rdn))
#define UXTB(rd, rm) (0xb2c0u | (rm) << 3 | (rd))
#define CMP(rn, rm) (0x4280u | (rm) << 3 | (rn))
#define MOV_PC(rd) (0x4678u | (rd)) /* mov rd, pc: rd = this + 4 */
#define STRH(rt, rn, off) (0x8000u | ((off) / 2) << 6 | (rn) << 3 | (rt))
#define STR(rt, rn, off) (0x6000u | ((off) / 4) << 6 | (rn) << 3 | (rt))
#define BLT(off) (0xdb00u | (((u32)(off) >> 1) & 0xffu)) /* off from this + 4 */
#define PUSH_R4_R5 0xb430u
#define POP_R4_R5 0xbc30u
#define BX_LR 0x4770u
#define NOP 0xbf00u
/* 32-bit ones, as their two halfwords. */
#define DSB1 0xf3bfu
#define DSB2 0x8f4fu
#define ISB1 0xf3bfu
#define ISB2 0x8f6fu
#define MOVW1(imm) (0xf240u | (((imm) >> 11) & 1) << 10 | (((imm) >> 12) & 0xf))
#define MOVW2(rd, imm) ((((imm) >> 8) & 7) << 12 | (rd) << 8 | ((imm) & 0xff))

/* The code buffer in SSRAM2/3: slots of 128 bytes. */
#define SLOT_HALVES 64
static u16 code[24 * SLOT_HALVES] __attribute__((aligned(4096)));
/* A buffer in SSRAM1, among the program's code (in assembly: a C
   variable in a .text section would draw an assembler warning). */
__asm__(".section .text.smc_buffer, \"ax\", %progbits\n"
        ".balign 64\n"
        ".type code_region, %object\n"
        "code_region: .space 128\n"
        ".size code_region, 128\n"
        ".text\n");
extern u16 code_region[SLOT_HALVES];

#define MIRROR 0x00400000u

static volatile u16 *slot(int n) {
    return (volatile u16 *)&code[n * SLOT_HALVES];
}
static volatile u32 *slot32(int n) {
    return (volatile u32 *)&code[n * SLOT_HALVES];
}

typedef u32 (*fn2)(u32, u32);

static u32 call_at(const volatile void *p, u32 a, u32 b) {
    fn2 f = (fn2)((u32)p | 1);
    __asm__ volatile("" ::: "memory");
    return f(a, b);
}

static u32 call(int n, u32 a, u32 b) {
    return call_at(slot(n), a, b);
}

static void line(const char *what, u32 x, u32 y) {
    puts_(what);
    puts_(": ");
    put_dec(x);
    puts_(" -> ");
    put_dec(y);
    puts_("\n");
}

/* a) dsb; isb between the rewrite and the call: required to work. */
static void with_barriers(void) {
    volatile u16 *p = slot(0);
    p[0] = MOVS(0, 5);
    p[1] = BX_LR;
    barrier();
    u32 x = call(0, 0, 0);
    p[0] = MOVS(0, 9);
    barrier();
    u32 y = call(0, 0, 0);
    line("a) dsb+isb, movs r0", x, y);
    CHECK_EQ(x, 5);
    CHECK_EQ(y, 9);

    volatile u16 *w = slot(1);
    w[0] = MOVW1(0x1234);
    w[1] = MOVW2(0, 0x1234);
    w[2] = BX_LR;
    barrier();
    x = call(1, 0, 0);
    w[0] = MOVW1(0xbeef);
    w[1] = MOVW2(0, 0xbeef);
    barrier();
    y = call(1, 0, 0);
    line("a) dsb+isb, movw r0", x, y);
    CHECK_EQ(x, 0x1234);
    CHECK_EQ(y, 0xbeef);

    /* The 32-bit movw becomes movs + bx lr and back: the instruction
       boundaries move. */
    w[0] = MOVS(0, 7);
    w[1] = BX_LR;
    barrier();
    x = call(1, 0, 0);
    w[0] = MOVW1(300);
    w[1] = MOVW2(0, 300);
    barrier();
    y = call(1, 0, 0);
    line("a) dsb+isb, movw -> movs+bx -> movw", x, y);
    CHECK_EQ(x, 7);
    CHECK_EQ(y, 300);
}

/* b) The same without barriers. */
static void without_barriers(void) {
    volatile u16 *p = slot(2);
    p[0] = MOVS(0, 20);
    p[1] = BX_LR;
    u32 x = call(2, 0, 0);
    p[0] = MOVS(0, 21);
    u32 y = call(2, 0, 0);
    line("b) no barrier, movs r0 (strh)", x, y);
    CHECK_EQ(x, 20);
    CHECK_EQ(y, 21);

    /* Only the immediate byte. */
    ((volatile u8 *)p)[0] = 22;
    x = call(2, 0, 0);
    line("b) no barrier, movs r0 (strb of imm8)", y, x);
    CHECK_EQ(x, 22);

    /* Both instructions in one word store. */
    volatile u32 *q = slot32(3);
    *q = BX_LR << 16 | MOVS(0, 23);
    x = call(3, 0, 0);
    *q = BX_LR << 16 | MOVS(0, 24);
    y = call(3, 0, 0);
    line("b) no barrier, movs r0 + bx lr (str)", x, y);
    CHECK_EQ(x, 23);
    CHECK_EQ(y, 24);

    /* A movw and bx lr in one doubleword store. */
    volatile u64 *d = (volatile u64 *)slot(4);
    *d = (u64)(NOP << 16 | BX_LR) << 32 | MOVW2(0, 1000) << 16 | MOVW1(1000);
    x = call(4, 0, 0);
    *d = (u64)(NOP << 16 | BX_LR) << 32 | MOVW2(0, 2000) << 16 | MOVW1(2000);
    y = call(4, 0, 0);
    line("b) no barrier, movw r0 + bx lr (64-bit store)", x, y);
    CHECK_EQ(x, 1000);
    CHECK_EQ(y, 2000);

    /* Only the second halfword of the movw (imm3, Rd, imm8). */
    ((volatile u16 *)d)[1] = MOVW2(0, 2001);
    x = call(4, 0, 0);
    line("b) no barrier, second halfword of movw", y, x);
    CHECK_EQ(x, 2001);

    /* The width changes without barriers too. */
    *q = BX_LR << 16 | MOVS(0, 25);
    x = call(3, 0, 0);
    *q = MOVW2(0, 26) << 16 | MOVW1(26);
    slot(3)[2] = BX_LR;
    y = call(3, 0, 0);
    line("b) no barrier, movs+bx -> movw", x, y);
    CHECK_EQ(x, 25);
    CHECK_EQ(y, 26);
}

/* c) Hot code: called 1000 times, then rewritten. */
static void hot(void) {
    volatile u16 *p = slot(5);
    p[0] = MOVS(0, 1);
    p[1] = BX_LR;
    barrier();
    u32 sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += call(5, 0, 0);
    }
    CHECK_EQ(sum, 1000);
    p[0] = MOVS(0, 2);
    u32 first = call(5, 0, 0);
    u32 sum2 = 0;
    for (int i = 0; i < 1000; i++) {
        sum2 += call(5, 0, 0);
    }
    line("c) 1000 calls of movs r0, #1; then #2 without barriers", sum, first);
    CHECK_EQ(first, 2);
    CHECK_EQ(sum2, 2000);

    p[0] = MOVS(0, 3);
    barrier();
    first = call(5, 0, 0);
    line("c) hot, then movs r0, #3 with dsb+isb", sum2, first);
    CHECK_EQ(first, 3);

    /* Stores to data right after the code must not change what it does. */
    for (int i = 0; i < 1000; i++) {
        p[2 + (i & 7)] = (u16)i;
        sum += call(5, 0, 0);
    }
    line("c) 1000 calls with stores next to the code", 3, sum - 1000);
    CHECK_EQ(sum, 1000 + 3000);

    /* A hot movw, then only its second halfword rewritten. */
    volatile u16 *w = slot(6);
    w[0] = MOVW1(500);
    w[1] = MOVW2(0, 500);
    w[2] = BX_LR;
    barrier();
    sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += call(6, 0, 0);
    }
    w[1] = MOVW2(0, 501);
    first = call(6, 0, 0);
    line("c) 1000 calls of movw r0, #500; then #501", sum, first);
    CHECK_EQ(sum, 500000);
    CHECK_EQ(first, 501);
}

/* d) A store to an instruction further on in the running straight-line
   code, then falling through into it. The function is called with r1 =
   the new halfword; the instruction it patches is `movs r0, #1` and
   becomes `movs r0, #2`:
       mov r2, pc; strh r1, [r2, #off]; [dsb; isb]; nop * gap; movs r0, #1; bx lr
   Without the barriers the architecture does not say which one runs
   (an instruction may have been fetched before the store), and QEMU,
   whose Arm front end lacks precise SMC, finishes the translation block
   it is in with the old code: it returns 1 where an interpreter returns
   2. So those cases only require one of the two; they print which
   values are allowed, not which one came. With dsb; isb between the
   store and the instruction, 2 is required. */
static void emit_patcher(int n, int gap, int barriers) {
    volatile u16 *p = slot(n);
    int k = 0;
    p[k++] = MOV_PC(2); /* r2 = base + 4 */
    int target = 2 + (barriers ? 4 : 0) + gap;
    p[k++] = STRH(1, 2, 2 * target - 4);
    if (barriers) {
        p[k++] = DSB1;
        p[k++] = DSB2;
        p[k++] = ISB1;
        p[k++] = ISB2;
    }
    for (int i = 0; i < gap; i++) {
        p[k++] = NOP;
    }
    p[k++] = MOVS(0, 1);
    p[k++] = BX_LR;
    barrier();
}

/* mov r2, pc; str r1, [r2]; movs r0, #1; bx lr (both rewritten by the str,
   at base + 4, which is word-aligned). */
static void emit_patcher32(int n) {
    volatile u16 *p = slot(n);
    p[0] = MOV_PC(2);
    p[1] = STR(1, 2, 0);
    p[2] = MOVS(0, 1);
    p[3] = BX_LR;
    barrier();
}

/* Which of the open cases saw the new code, as bits. The console cannot
   show it (it must match QEMU's), so patch_ahead() turns it into a
   number of loop iterations: an emulator's interpreter and JIT that
   disagree here end with different instruction counts. */
static u32 saw_new;

static void check_either(const char *what, int bit, u32 r) {
    puts_(what);
    puts_(": 1 (old) or 2 (new)\n");
    CHECK(r == 1 || r == 2);
    saw_new |= (u32)(r == 2) << bit;
}

static void patch_ahead(void) {
    emit_patcher(7, 0, 0);
    u32 r = call(7, 0, MOVS(0, 2));
    check_either("d) strh to the next instruction", 0, r);
    /* Now patched for good: the next call runs it. */
    r = call(7, 0, MOVS(0, 2));
    line("d) next instruction, second call", 2, r);
    CHECK_EQ(r, 2);

    emit_patcher(8, 3, 0);
    r = call(8, 0, MOVS(0, 2));
    check_either("d) strh 4 instructions ahead", 1, r);

    emit_patcher32(9);
    r = call(9, 0, BX_LR << 16 | MOVS(0, 2));
    check_either("d) str over the next two instructions", 2, r);

    emit_patcher(10, 0, 1);
    r = call(10, 0, MOVS(0, 2));
    line("d) strh, dsb, isb, then the patched movs", 1, r);
    CHECK_EQ(r, 2);

    emit_patcher(11, 2, 1);
    r = call(11, 0, MOVS(0, 2));
    line("d) strh, dsb, isb, nops, then the patched movs", 1, r);
    CHECK_EQ(r, 2);

    for (volatile u32 i = 0; i < saw_new; i++) {
    }
}

/* e) Loops. The generated function f(n) runs n iterations of
       body: movs r4, #K          (patched)
             adds r3, r3, r4
             adds r1, #1
             patch body to movs r4, #(r1 & 255)
             [dsb; isb]
             cmp r1, r0; blt body
   and returns r3. The body is rewritten behind itself, so iteration i
   sees i & 255. */
static void emit_loop(int n, int barriers) {
    volatile u16 *p = slot(n);
    int k = 0;
    p[k++] = PUSH_R4_R5;
    p[k++] = MOVS(3, 0);    /* sum */
    p[k++] = MOV_PC(2);     /* r2 = base + 8 = body */
    p[k++] = MOVS(1, 0);    /* i */
    int body = k;
    p[k++] = MOVS(4, 0);    /* body, at base + 8 */
    p[k++] = ADDS3(3, 3, 4);
    p[k++] = ADDS8(1, 1);
    p[k++] = MOVS(5, 0x24); /* movs r4, #0 is 0x2400 */
    p[k++] = LSLS(5, 5, 8);
    p[k++] = UXTB(4, 1);
    p[k++] = ORRS(5, 4);
    p[k++] = STRH(5, 2, 0);
    if (barriers) {
        p[k++] = DSB1;
        p[k++] = DSB2;
        p[k++] = ISB1;
        p[k++] = ISB2;
    }
    p[k++] = CMP(1, 0);
    p[k] = BLT(2 * body - (2 * k + 4));
    k++;
    p[k++] = LSLS(0, 3, 0); /* movs r0, r3 */
    p[k++] = POP_R4_R5;
    p[k++] = BX_LR;
    barrier();
}

/* The sum of i & 255 for i < 1000: three rounds of 0..255, then 0..231. */
#define SUM_LOW_BYTE_1000 (3 * 32640 + 231 * 232 / 2)

static void loops(void) {
    emit_loop(12, 0);
    u32 r = call(12, 1000, 0);
    line("e) loop patching its own body 1000 times", 1000, r);
    CHECK_EQ(r, SUM_LOW_BYTE_1000);
    /* Called again it starts from the last value written (1000 & 255). */
    r = call(12, 3, 0);
    line("e) again, 3 iterations, from movs r4, #232", 3, r);
    CHECK_EQ(r, 232 + 1 + 2);

    emit_loop(13, 1);
    r = call(13, 1000, 0);
    line("e) the same with dsb+isb in the loop", 1000, r);
    CHECK_EQ(r, SUM_LOW_BYTE_1000);

    /* The caller rewrites the callee before every call. */
    volatile u16 *p = slot(14);
    p[0] = MOVS(0, 0);
    p[1] = BX_LR;
    barrier();
    u32 sum = 0;
    for (int i = 0; i < 1000; i++) {
        p[0] = MOVS(0, i);
        sum += call(14, 0, 0);
    }
    line("e) caller rewrites movs r0, #(i & 255) before each of 1000 calls", 1000, sum);
    CHECK_EQ(sum, SUM_LOW_BYTE_1000);

    volatile u16 *w = slot(15);
    w[0] = MOVW1(0);
    w[1] = MOVW2(0, 0);
    w[2] = BX_LR;
    barrier();
    sum = 0;
    for (int i = 0; i < 1000; i++) {
        w[1] = MOVW2(0, i);
        sum += call(15, 0, 0);
    }
    line("e) caller rewrites movw r0, #i (second halfword) before each of 1000 calls", 1000, sum);
    CHECK_EQ(sum, 499500);
}

/* f) Through the other mapping of the same RAM. */
static void aliases(void) {
    volatile u16 *p = slot(16);
    volatile u16 *m = (volatile u16 *)((u32)p + MIRROR);
    m[0] = MOVS(0, 40);
    m[1] = BX_LR;
    barrier();
    u32 x = call_at(p, 0, 0);
    m[0] = MOVS(0, 41);
    u32 y = call_at(p, 0, 0);
    line("f) SSRAM2/3: written at 0x204xxxxx, run at 0x200xxxxx", x, y);
    CHECK_EQ(x, 40);
    CHECK_EQ(y, 41);

    /* Hot at one address, rewritten through the other. */
    u32 sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += call_at(p, 0, 0);
    }
    m[0] = MOVS(0, 42);
    x = call_at(p, 0, 0);
    line("f) 1000 calls at 0x200xxxxx, then rewritten at 0x204xxxxx", sum, x);
    CHECK_EQ(sum, 41000);
    CHECK_EQ(x, 42);

    /* Run at the mirror, rewritten at the base address. */
    y = call_at(m, 0, 0);
    p[0] = MOVS(0, 43);
    x = call_at(m, 0, 0);
    line("f) SSRAM2/3: written at 0x200xxxxx, run at 0x204xxxxx", y, x);
    CHECK_EQ(y, 42);
    CHECK_EQ(x, 43);

    /* SSRAM1, where the program's own code is. */
    volatile u16 *c = (volatile u16 *)code_region;
    volatile u16 *cm = (volatile u16 *)((u32)code_region + MIRROR);
    c[0] = MOVS(0, 50);
    c[1] = BX_LR;
    barrier();
    x = call_at(c, 0, 0);
    c[0] = MOVS(0, 51);
    y = call_at(c, 0, 0);
    line("f) SSRAM1: written and run at 0x00xxxxxx", x, y);
    CHECK_EQ(x, 50);
    CHECK_EQ(y, 51);
    cm[0] = MOVS(0, 52);
    x = call_at(c, 0, 0);
    line("f) SSRAM1: written at 0x004xxxxx, run at 0x000xxxxx", y, x);
    CHECK_EQ(x, 52);
}

int main(void) {
    puts_("self-modifying code\n");
    with_barriers();
    without_barriers();
    hot();
    patch_ahead();
    loops();
    aliases();
    finish("smc");
}
