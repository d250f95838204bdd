/* Self-modifying code: machine code written by hand into a RAM buffer,
   called, rewritten and called again.
   a) rewrite + fence.i (32-bit, compressed, and a 32-bit instruction
      replaced by two compressed ones and back);
   b) rewrite without fence.i (word, halfword, byte and doubleword stores);
   c) a function called 1000 times (hot for a JIT), then rewritten;
      stores to data next to it on the same page leave it alone;
   d) a function that stores to an instruction later in its own
      straight-line run and falls through into it;
   e) loops whose body is rewritten every iteration, by the loop itself
      and by its caller.
   QEMU ends a translation block at fence.i and invalidates translations
   on every store to a page holding code, so everything here sees the new
   code except d) without fence.i, which the ISA leaves open (see there). */
#include "lib.h"

typedef unsigned short u16;

/* Registers. */
enum { ZERO = 0, RA = 1, T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11, T3 = 28 };

/* 32-bit encodings. */
static u32 i_type(u32 op, u32 f3, u32 rd, u32 rs1, int imm) {
    return ((u32)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static u32 s_type(u32 f3, u32 rs1, u32 rs2, int imm) {
    u32 o = (u32)imm;
    return ((o >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (o & 0x1f) << 7 | 0x23;
}
static u32 b_type(u32 f3, u32 rs1, u32 rs2, int off) {
    u32 o = (u32)off;
    return ((o >> 12) & 1) << 31 | ((o >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((o >> 1) & 0xf) << 8 | ((o >> 11) & 1) << 7 | 0x63;
}
#define ADDI(rd, rs1, imm) i_type(0x13, 0, rd, rs1, imm)
#define LI(rd, imm) ADDI(rd, ZERO, imm)
#define ORI(rd, rs1, imm) i_type(0x13, 6, rd, rs1, imm)
#define SLLI(rd, rs1, sh) i_type(0x13, 1, rd, rs1, sh)
#define ADD(rd, rs1, rs2) ((rs2) << 20 | (rs1) << 15 | (rd) << 7 | 0x33)
#define AUIPC(rd, imm20) ((u32)(imm20) << 12 | (rd) << 7 | 0x17)
#define SW(rs2, rs1, imm) s_type(2, rs1, rs2, imm)
#define SH(rs2, rs1, imm) s_type(1, rs1, rs2, imm)
#define BLT(rs1, rs2, off) b_type(4, rs1, rs2, off)
#define RET 0x00008067u /* jalr zero, 0(ra) */
#define NOP 0x00000013u
#define FENCE_I 0x0000100fu

/* Compressed encodings. */
#define C_LI(rd, imm) (0x4001u | (((u32)(imm) >> 5) & 1) << 12 | (rd) << 7 | ((u32)(imm) & 0x1f) << 2)
#define C_JR_RA 0x8082u /* c.jr ra */
#define C_NOP 0x0001u

/* The code buffer: its own page-aligned slots of 256 bytes, in RAM that
   is executable (everything is, at 0x80000000, in M-mode without PMP). */
#define SLOT_WORDS 64
static u32 code[16 * SLOT_WORDS] __attribute__((aligned(4096)));

static volatile u32 *slot(int n) {
    return (volatile u32 *)&code[n * SLOT_WORDS];
}
static volatile u16 *slot16(int n) {
    return (volatile u16 *)&code[n * SLOT_WORDS];
}

static void fence_i(void) {
    __asm__ volatile("fence.i" ::: "memory");
}

typedef ulong (*fn2)(ulong, ulong);

/* Calls slot `n` with two arguments; the barrier keeps the stores before. */
static ulong call(int n, ulong a, ulong b) {
    fn2 f = (fn2)(ulong)slot(n);
    __asm__ volatile("" ::: "memory");
    return f(a, b);
}

static void line(const char *what, ulong x, ulong y) {
    puts_(what);
    puts_(": ");
    put_dec(x);
    puts_(" -> ");
    put_dec(y);
    puts_("\n");
}

/* a) With fence.i between the rewrite and the call: required to work. */
static void with_fence(void) {
    volatile u32 *p = slot(0);
    p[0] = LI(A0, 5);
    p[1] = RET;
    fence_i();
    ulong x = call(0, 0, 0);
    p[0] = LI(A0, 9);
    fence_i();
    ulong y = call(0, 0, 0);
    line("a) fence.i, li a0", x, y);
    CHECK_EQ(x, 5);
    CHECK_EQ(y, 9);

    volatile u16 *h = slot16(1);
    h[0] = C_LI(A0, 3);
    h[1] = C_JR_RA;
    fence_i();
    x = call(1, 0, 0);
    h[0] = C_LI(A0, 31);
    fence_i();
    y = call(1, 0, 0);
    line("a) fence.i, c.li a0", x, y);
    CHECK_EQ(x, 3);
    CHECK_EQ(y, 31);

    /* One 32-bit instruction becomes two compressed ones and back: the
       instruction boundaries move. */
    p[0] = C_JR_RA << 16 | C_LI(A0, 7);
    fence_i();
    x = call(0, 0, 0);
    p[0] = LI(A0, 11);
    fence_i();
    y = call(0, 0, 0);
    line("a) fence.i, li -> c.li+c.jr -> li", x, y);
    CHECK_EQ(x, 7);
    CHECK_EQ(y, 11);
}

/* b) The same without fence.i. */
static void without_fence(void) {
    volatile u32 *p = slot(2);
    p[0] = LI(A0, 20);
    p[1] = RET;
    ulong x = call(2, 0, 0);
    p[0] = LI(A0, 21);
    ulong y = call(2, 0, 0);
    line("b) no fence.i, li a0 (sw)", x, y);
    CHECK_EQ(x, 20);
    CHECK_EQ(y, 21);

    volatile u16 *h = slot16(3);
    h[0] = C_LI(A0, 22);
    h[1] = C_JR_RA;
    x = call(3, 0, 0);
    h[0] = C_LI(A0, 23);
    y = call(3, 0, 0);
    line("b) no fence.i, c.li a0 (sh)", x, y);
    CHECK_EQ(x, 22);
    CHECK_EQ(y, 23);

    /* Only the top byte, imm[11:4]: 0x010 becomes 0x050. */
    p[0] = LI(A0, 0x10);
    x = call(2, 0, 0);
    ((volatile unsigned char *)p)[3] = 0x05;
    y = call(2, 0, 0);
    line("b) no fence.i, li a0 (sb of imm[11:4])", x, y);
    CHECK_EQ(x, 0x10);
    CHECK_EQ(y, 0x50);

    /* Both instructions in one doubleword store (two sw on rv32). */
    volatile u64 *d = (volatile u64 *)slot(4);
    *d = (u64)RET << 32 | LI(A0, 24);
    x = call(4, 0, 0);
    *d = (u64)RET << 32 | LI(A0, 25);
    y = call(4, 0, 0);
    line("b) no fence.i, li a0 + ret (64-bit store)", x, y);
    CHECK_EQ(x, 24);
    CHECK_EQ(y, 25);

    /* The width changes without fence.i too. */
    p[0] = C_JR_RA << 16 | C_LI(A0, 26);
    x = call(2, 0, 0);
    p[0] = LI(A0, 27);
    y = call(2, 0, 0);
    line("b) no fence.i, c.li+c.jr -> li", x, y);
    CHECK_EQ(x, 26);
    CHECK_EQ(y, 27);
}

/* c) Hot code: called 1000 times, then rewritten. */
static void hot(void) {
    volatile u32 *p = slot(5);
    p[0] = LI(A0, 1);
    p[1] = RET;
    fence_i();
    ulong sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += call(5, 0, 0);
    }
    CHECK_EQ(sum, 1000);
    p[0] = LI(A0, 2);
    ulong first = call(5, 0, 0);
    ulong sum2 = 0;
    for (int i = 0; i < 1000; i++) {
        sum2 += call(5, 0, 0);
    }
    line("c) 1000 calls of li a0, 1; then li a0, 2 without fence.i", sum, first);
    CHECK_EQ(first, 2);
    CHECK_EQ(sum2, 2000);

    p[0] = LI(A0, 3);
    fence_i();
    first = call(5, 0, 0);
    line("c) hot, then li a0, 3 with fence.i", sum2, first);
    CHECK_EQ(first, 3);

    /* Stores to data on the code's page (the next words, past the ret)
       must not change what it does. */
    for (int i = 0; i < 1000; i++) {
        p[2 + (i & 7)] = (u32)i;
        sum += call(5, 0, 0);
    }
    line("c) 1000 calls with stores next to the code", 3, sum - 1000);
    CHECK_EQ(sum, 1000 + 3000);

    /* A hot compressed function. */
    volatile u16 *h = slot16(6);
    h[0] = C_LI(A0, 4);
    h[1] = C_JR_RA;
    fence_i();
    sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += call(6, 0, 0);
    }
    h[0] = C_LI(A0, 5);
    first = call(6, 0, 0);
    line("c) 1000 calls of c.li a0, 4; then c.li a0, 5", sum, first);
    CHECK_EQ(sum, 4000);
    CHECK_EQ(first, 5);
}

/* d) A store to an instruction further on in the running straight-line
   code, then falling through into it. The function is called with a1 =
   the new instruction word; the instruction it patches is `li a0, 1`
   and becomes `li a0, 2`.

   Without fence.i the ISA does not say which one runs (fetches need not
   see stores without it), and QEMU, whose RISC-V and Arm front ends lack
   precise SMC, finishes the translation block it is in with the old
   code: it returns 1 where an interpreter returns 2. So those cases only
   require one of the two; they print which values are allowed, not which
   one came. With fence.i between the store and the instruction, 2 is
   required. */
static void emit_patcher(int n, int gap, int fence) {
    volatile u32 *p = slot(n);
    int k = 0;
    /* auipc t0, 0 (at 0); sw a1, off(t0); [fence.i]; nop * gap; li a0, 1; ret */
    int target = 4 * (2 + fence + gap);
    p[k++] = AUIPC(T0, 0);
    p[k++] = SW(A1, T0, target);
    if (fence) {
        p[k++] = FENCE_I;
    }
    for (int i = 0; i < gap; i++) {
        p[k++] = NOP;
    }
    p[k++] = LI(A0, 1);
    p[k++] = RET;
    fence_i();
}

static void emit_patcher16(int n) {
    /* auipc t0, 0; sh a1, 8(t0); c.li a0, 1 (at 8); c.jr ra */
    volatile u32 *p = slot(n);
    p[0] = AUIPC(T0, 0);
    p[1] = SH(A1, T0, 8);
    p[2] = C_JR_RA << 16 | C_LI(A0, 1);
    fence_i();
}

/* Which of the open cases saw the new code, as bits. The console cannot
   show it (it must match QEMU's), so patch_ahead() turns it into a
   number of loop iterations: an emulator's interpreter and JIT that
   disagree here end with different instruction counts. */
static u32 saw_new;

static void check_either(const char *what, int bit, ulong r) {
    puts_(what);
    puts_(": 1 (old) or 2 (new)\n");
    CHECK(r == 1 || r == 2);
    saw_new |= (u32)(r == 2) << bit;
}

static void patch_ahead(void) {
    emit_patcher(7, 0, 0);
    ulong r = call(7, 0, LI(A0, 2));
    check_either("d) sw to the next instruction", 0, r);
    /* Now patched for good: the next call runs it. */
    r = call(7, 0, LI(A0, 2));
    line("d) next instruction, second call", 2, r);
    CHECK_EQ(r, 2);

    emit_patcher(8, 3, 0);
    r = call(8, 0, LI(A0, 2));
    check_either("d) sw 4 instructions ahead", 1, r);

    emit_patcher16(9);
    r = call(9, 0, C_LI(A0, 2));
    check_either("d) sh to the next c.li", 2, r);

    emit_patcher(10, 0, 1);
    r = call(10, 0, LI(A0, 2));
    line("d) sw, fence.i, then the patched li", 1, r);
    CHECK_EQ(r, 2);

    emit_patcher(11, 2, 1);
    r = call(11, 0, LI(A0, 2));
    line("d) sw, fence.i, nops, then the patched li", 1, r);
    CHECK_EQ(r, 2);

    for (volatile u32 i = 0; i < saw_new; i++) {
    }
}

/* e) Loops. The generated function f(n) runs n iterations of
       body: li t2, K          (patched)
             add t0, t0, t2
             addi t1, t1, 1
             patch body to li t2, t1
             [fence.i]
             blt t1, a0, body
   and returns t0. The body is rewritten behind itself, so iteration i
   sees i: the sum is n(n-1)/2. */
static void emit_loop(int n, int fence) {
    volatile u32 *p = slot(n);
    int k = 0;
    p[k++] = LI(T0, 0);                /* 0: sum */
    p[k++] = LI(T1, 0);                /* 4: i */
    int body = k;
    p[k++] = LI(T2, 0);                /* 8: body */
    p[k++] = ADD(T0, T0, T2);          /* 12 */
    p[k++] = ADDI(T1, T1, 1);          /* 16 */
    p[k++] = SLLI(T3, T1, 20);         /* 20: imm = i */
    p[k++] = ORI(T3, T3, LI(T2, 0));   /* 24: | li t2, 0 (0x393) */
    int auipc = k;
    p[k++] = AUIPC(A1, 0);             /* 28 */
    p[k++] = SW(T3, A1, 4 * (body - auipc));
    if (fence) {
        p[k++] = FENCE_I;
    }
    p[k] = BLT(T1, A0, 4 * (body - k));
    k++;
    p[k++] = ADDI(A0, T0, 0);
    p[k++] = RET;
    fence_i();
}

static void loops(void) {
    emit_loop(12, 0);
    ulong r = call(12, 1000, 0);
    line("e) loop patching its own body 1000 times", 1000, r);
    CHECK_EQ(r, 499500);
    /* Called again it starts from the last value written (li t2, 1000). */
    r = call(12, 3, 0);
    line("e) again, 3 iterations, from li t2, 1000", 3, r);
    CHECK_EQ(r, 1000 + 1 + 2);

    emit_loop(13, 1);
    r = call(13, 1000, 0);
    line("e) the same with fence.i in the loop", 1000, r);
    CHECK_EQ(r, 499500);

    /* The caller rewrites the callee before every call. */
    volatile u32 *p = slot(14);
    p[0] = LI(A0, 0);
    p[1] = RET;
    fence_i();
    ulong sum = 0;
    for (int i = 0; i < 1000; i++) {
        p[0] = LI(A0, i);
        sum += call(14, 0, 0);
    }
    line("e) caller rewrites li a0, i before each of 1000 calls", 1000, sum);
    CHECK_EQ(sum, 499500);

    volatile u16 *h = slot16(15);
    h[1] = C_JR_RA;
    sum = 0;
    for (int i = 0; i < 1000; i++) {
        h[0] = C_LI(A0, i & 31);
        sum += call(15, 0, 0);
    }
    line("e) caller rewrites c.li a0, i & 31 before each of 1000 calls", 1000, sum);
    CHECK_EQ(sum, 31 * 496 + 28); /* 31 rounds of 0..31, then 0..7 */
}

int main(ulong hartid) {
    (void)hartid;
    puts_("self-modifying code\n");
    with_fence();
    without_fence();
    hot();
    patch_ahead();
    loops();
    puts_(failures ? "smc: FAILED\n" : "smc: all passed\n");
    return 0;
}
