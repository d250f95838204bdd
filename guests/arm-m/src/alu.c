/* alu: the data-processing and load/store instruction classes of ARMv7-M,
   each result printed in hex (and the flags as NZCVQ letters) and checked
   against a reference computed in plain C. Everything under test is
   inline assembly, so the compiler cannot fold it. */
#include "lib.h"

#define PSR_MASK 0xf8000000u /* N Z C V Q */
#define FN (1u << 31)
#define FZ (1u << 30)
#define FC (1u << 29)
#define FV (1u << 28)
#define FQ (1u << 27)

static u32 nz(u32 r) {
    return (r & FN) | (r == 0 ? FZ : 0);
}

static void line_start(const char *name) {
    puts_(name);
}

static void arg(u32 v) {
    putc_(' ');
    put_hex(v);
}

static void result(u32 r) {
    puts_(" = ");
    put_hex(r);
}

static void flags(u32 psr) {
    putc_(' ');
    put_nzcvq(psr);
}

static void nl(void) {
    putc_('\n');
}

/* ------------------------------------------------------------ add/sub */

/* a + b + c with the flags an ADDS/ADCS would set. */
static u32 ref_add(u32 a, u32 b, u32 c, u32 *psr) {
    u64 s = (u64)a + b + c;
    u32 r = (u32)s;
    *psr = nz(r) | ((s >> 32) ? FC : 0) | (((~(a ^ b) & (a ^ r)) >> 31) ? FV : 0);
    return r;
}

#define ARITH(insn, a, b, PIN_, R_, P_) \
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n " insn " %[r], %[x], %[y]\n mrs %[p], apsr" \
                     : [r] "=&r"(R_), [p] "=&r"(P_) : [x] "r"(a), [y] "r"(b), [pi] "r"(PIN_) : "cc")

#define COMPARE(insn, a, b, PIN_, P_) \
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n " insn " %[x], %[y]\n mrs %[p], apsr" \
                     : [p] "=&r"(P_) : [x] "r"(a), [y] "r"(b), [pi] "r"(PIN_) : "cc")

static const u32 arith_vals[][2] = {
    {0, 0}, {1, 1}, {0x7fffffff, 1}, {0x80000000, 0x80000000}, {0xffffffff, 1},
    {0x80000000, 1}, {0, 1}, {0x12345678, 0x87654321}, {0xffffffff, 0xffffffff},
    {0x7fffffff, 0xffffffff}, {0x7fffffff, 0x80000000},
};

static void test_addsub(void) {
    for (unsigned i = 0; i < sizeof arith_vals / sizeof arith_vals[0]; i++) {
        u32 a = arith_vals[i][0], b = arith_vals[i][1], r, psr, want, wpsr;
        for (u32 c = 0; c < 2; c++) {
            u32 pin = c ? FC : 0;
            if (c == 0) {
                ARITH("adds", a, b, FQ, r, psr);
                want = ref_add(a, b, 0, &wpsr);
                line_start("adds"); arg(a); arg(b); result(r); flags(psr); nl();
                CHECK_EQ(r, want);
                CHECK_EQ(psr & PSR_MASK, wpsr | FQ);
                ARITH("subs", a, b, 0, r, psr);
                want = ref_add(a, ~b, 1, &wpsr);
                line_start("subs"); arg(a); arg(b); result(r); flags(psr); nl();
                CHECK_EQ(r, want);
                CHECK_EQ(psr & PSR_MASK, wpsr);
                ARITH("rsbs", a, b, 0, r, psr);
                want = ref_add(b, ~a, 1, &wpsr);
                line_start("rsbs"); arg(a); arg(b); result(r); flags(psr); nl();
                CHECK_EQ(r, want);
                CHECK_EQ(psr & PSR_MASK, wpsr);
                COMPARE("cmp", a, b, 0, psr);
                ref_add(a, ~b, 1, &wpsr);
                line_start("cmp"); arg(a); arg(b); flags(psr); nl();
                CHECK_EQ(psr & PSR_MASK, wpsr);
                COMPARE("cmn", a, b, 0, psr);
                ref_add(a, b, 0, &wpsr);
                line_start("cmn"); arg(a); arg(b); flags(psr); nl();
                CHECK_EQ(psr & PSR_MASK, wpsr);
            }
            ARITH("adcs", a, b, pin, r, psr);
            want = ref_add(a, b, c, &wpsr);
            line_start(c ? "adcs c1" : "adcs c0"); arg(a); arg(b); result(r); flags(psr); nl();
            CHECK_EQ(r, want);
            CHECK_EQ(psr & PSR_MASK, wpsr);
            ARITH("sbcs", a, b, pin, r, psr);
            want = ref_add(a, ~b, c, &wpsr);
            line_start(c ? "sbcs c1" : "sbcs c0"); arg(a); arg(b); result(r); flags(psr); nl();
            CHECK_EQ(r, want);
            CHECK_EQ(psr & PSR_MASK, wpsr);
            /* Without S: result only, flags untouched. */
            ARITH("adc", a, b, pin | FN | FV, r, psr);
            CHECK_EQ(r, ref_add(a, b, c, &wpsr));
            CHECK_EQ(psr & PSR_MASK, pin | FN | FV);
            ARITH("sbc", a, b, pin | FZ, r, psr);
            CHECK_EQ(r, ref_add(a, ~b, c, &wpsr));
            CHECK_EQ(psr & PSR_MASK, pin | FZ);
        }
    }
    /* Immediate forms, including the 12-bit ADDW/SUBW. */
    u32 psr;
    u32 x = 0xfffffffe;
    __asm__ volatile("adds %0, %0, #2\n mrs %1, apsr" : "+r"(x), "=r"(psr) :: "cc");
    line_start("adds #2"); arg(0xfffffffe); result(x); flags(psr); nl();
    CHECK_EQ(x, 0);
    CHECK_EQ(psr & (FN | FZ | FC | FV), FZ | FC);
    x = 1000;
    __asm__ volatile("addw %0, %0, #4095" : "+r"(x));
    CHECK_EQ(x, 5095);
    __asm__ volatile("subw %0, %0, #4000" : "+r"(x));
    CHECK_EQ(x, 1095);
    __asm__ volatile("rsb %0, %0, #0" : "+r"(x));
    line_start("addw/subw/rsb"); result(x); nl();
    CHECK_EQ(x, (u32)-1095);
}

/* ------------------------------------------------------------ logic */

#define LOGIC_IMM(insn, imm, a, PIN_, R_, P_) \
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n " insn " %[r], %[x], #" #imm "\n mrs %[p], apsr" \
                     : [r] "=&r"(R_), [p] "=&r"(P_) : [x] "r"(a), [pi] "r"(PIN_) : "cc")

static void logic_line(const char *name, u32 a, u32 r, u32 psr, u32 want, u32 wpsr) {
    line_start(name); arg(a); result(r); flags(psr); nl();
    CHECK_EQ(r, want);
    CHECK_EQ(psr & PSR_MASK, wpsr);
}

static void test_logic(void) {
    /* A modified immediate that needs rotation sets C to its bit 31; a
       plain byte or a replicated pattern leaves C alone. V is untouched. */
    static const u32 vals[] = {0x00000000, 0xffffffff, 0x80ff00ff, 0x0f0f0f0f};
    for (unsigned i = 0; i < 4; i++) {
        u32 a = vals[i], r, psr;
        for (u32 pin = 0; pin <= (FC | FV); pin += FC | FV) {
            LOGIC_IMM("ands", 0xff, a, pin, r, psr);
            logic_line("ands #0xff", a, r, psr, a & 0xff, nz(a & 0xff) | pin);
            LOGIC_IMM("ands", 0x00ff00ff, a, pin, r, psr);
            logic_line("ands #0x00ff00ff", a, r, psr, a & 0x00ff00ff, nz(a & 0x00ff00ff) | pin);
            LOGIC_IMM("ands", 0xff000000, a, pin, r, psr);
            logic_line("ands #0xff000000", a, r, psr, a & 0xff000000, nz(a & 0xff000000) | FC | (pin & FV));
            LOGIC_IMM("orrs", 0x3fc00000, a, pin, r, psr);
            logic_line("orrs #0x3fc00000", a, r, psr, a | 0x3fc00000, nz(a | 0x3fc00000) | (pin & FV));
            LOGIC_IMM("eors", 0x80000000, a, pin, r, psr);
            logic_line("eors #0x80000000", a, r, psr, a ^ 0x80000000, nz(a ^ 0x80000000) | FC | (pin & FV));
            LOGIC_IMM("bics", 0xf0, a, pin, r, psr);
            logic_line("bics #0xf0", a, r, psr, a & ~0xf0u, nz(a & ~0xf0u) | pin);
            LOGIC_IMM("orns", 0x00ff0000, a, pin, r, psr);
            logic_line("orns #0x00ff0000", a, r, psr, a | ~0x00ff0000u, nz(a | ~0x00ff0000u) | (pin & FV));
        }
    }
    /* Register operands with a shifted second operand: C from the shifter. */
    u32 a = 0x80000001, b = 0xc0000003, r, psr;
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n eors %[r], %[x], %[y], lsl #1\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(a), [y] "r"(b), [pi] "r"(0) : "cc");
    logic_line("eors lsl #1", b, r, psr, a ^ (b << 1), nz(a ^ (b << 1)) | FC);
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n orrs %[r], %[x], %[y], lsr #32\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(0), [y] "r"(b), [pi] "r"(0) : "cc");
    logic_line("orrs lsr #32", b, r, psr, 0, FZ | FC);
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n ands %[r], %[x], %[y], asr #32\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(0x0000ffff), [y] "r"(b), [pi] "r"(0) : "cc");
    logic_line("ands asr #32", b, r, psr, 0xffff, FC);
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n bics %[r], %[x], %[y], ror #4\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(0xffffffff), [y] "r"(b), [pi] "r"(FC) : "cc");
    logic_line("bics ror #4", b, r, psr, ~((b >> 4) | (b << 28)), nz(~((b >> 4) | (b << 28))) | ((b & 8) ? FC : 0));
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n mvns %[r], %[y], rrx\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [y] "r"(b), [pi] "r"(FC) : "cc");
    logic_line("mvns rrx c1", b, r, psr, ~((b >> 1) | 0x80000000), nz(~((b >> 1) | 0x80000000)) | FC);
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n movs %[r], #0x80000000\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [pi] "r"(0) : "cc");
    logic_line("movs #0x80000000", 0, r, psr, 0x80000000, FN | FC);
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n tst %[x], #0xff000000\n mrs %[p], apsr"
                     : [p] "=&r"(psr) : [x] "r"(0x00ffffff), [pi] "r"(FV) : "cc");
    logic_line("tst #0xff000000", 0x00ffffff, 0, psr, 0, FZ | FC | FV);
    __asm__ volatile("msr apsr_nzcvq, %[pi]\n teq %[x], %[y]\n mrs %[p], apsr"
                     : [p] "=&r"(psr) : [x] "r"(0x80000000), [y] "r"(0x7fffffff), [pi] "r"(FC) : "cc");
    logic_line("teq", 0x80000000, 0, psr, 0, FN | FC);
    /* MOVW/MOVT, MVN, ORN, BIC without flags. */
    __asm__ volatile("movw %0, #0xbeef\n movt %0, #0xdead" : "=r"(r));
    line_start("movw/movt"); result(r); nl();
    CHECK_EQ(r, 0xdeadbeef);
    __asm__ volatile("movt %0, #0x1234" : "+r"(r));
    CHECK_EQ(r, 0x1234beef);
    __asm__ volatile("orn %0, %1, %2" : "=r"(r) : "r"(0x0f), "r"(0xffff00ff));
    CHECK_EQ(r, 0x0000ff0f);
    __asm__ volatile("bic %0, %1, %2, lsl #4" : "=r"(r) : "r"(0xffffffff), "r"(0x0f));
    CHECK_EQ(r, 0xffffff0f);
    __asm__ volatile("mvn %0, #0xff00" : "=r"(r));
    CHECK_EQ(r, 0xffff00ff);
}

/* ------------------------------------------------------------ shifts */

static u32 ref_shift(int type, u32 a, u32 amount, u32 cin, u32 *cout) {
    u32 n = amount & 0xff;
    if (n == 0) {
        *cout = cin;
        return a;
    }
    switch (type) {
    case 0: /* LSL */
        if (n < 32) {
            *cout = (a >> (32 - n)) & 1;
            return a << n;
        }
        *cout = n == 32 ? a & 1 : 0;
        return 0;
    case 1: /* LSR */
        if (n < 32) {
            *cout = (a >> (n - 1)) & 1;
            return a >> n;
        }
        *cout = n == 32 ? a >> 31 : 0;
        return 0;
    case 2: /* ASR */
        if (n < 32) {
            *cout = (a >> (n - 1)) & 1;
            return (u32)((s32)a >> n);
        }
        *cout = a >> 31;
        return (u32)((s32)a >> 31);
    default: { /* ROR */
        u32 m = n & 31;
        u32 r = m ? (a >> m) | (a << (32 - m)) : a;
        *cout = r >> 31;
        return r;
    }
    }
}

#define SHIFT_REG(insn, a, s, psr_in, r, psr) ARITH(insn, a, s, psr_in, r, psr)

static void test_shifts(void) {
    static const u32 amounts[] = {0, 1, 4, 31, 32, 33, 255, 256, 0xffffff21};
    static const u32 vals[] = {0x80000001, 0x7ffffffe, 0xf0000000};
    static const char *const names[] = {"lsls", "lsrs", "asrs", "rors"};
    for (unsigned v = 0; v < 3; v++) {
        for (unsigned i = 0; i < sizeof amounts / 4; i++) {
            u32 a = vals[v], s = amounts[i];
            for (int t = 0; t < 4; t++) {
                for (u32 cin = 0; cin < 2; cin++) {
                    u32 r, psr, r2, psr2, cout;
                    u32 pin = FV | (cin ? FC : 0);
                    switch (t) {
                    case 0: SHIFT_REG("lsls", a, s, pin, r, psr); SHIFT_REG("lsl", a, s, 0, r2, psr2); break;
                    case 1: SHIFT_REG("lsrs", a, s, pin, r, psr); SHIFT_REG("lsr", a, s, 0, r2, psr2); break;
                    case 2: SHIFT_REG("asrs", a, s, pin, r, psr); SHIFT_REG("asr", a, s, 0, r2, psr2); break;
                    default: SHIFT_REG("rors", a, s, pin, r, psr); SHIFT_REG("ror", a, s, 0, r2, psr2); break;
                    }
                    u32 want = ref_shift(t, a, s, cin, &cout);
                    if (cin == 0 || (s & 0xff) == 0) { /* C in matters only for amount 0 */
                        line_start(names[t]); arg(a); arg(s); result(r); flags(psr); nl();
                    }
                    CHECK_EQ(r, want);
                    CHECK_EQ(psr & PSR_MASK, nz(want) | (cout ? FC : 0) | FV);
                    CHECK_EQ(r2, want);
                    CHECK_EQ(psr2 & PSR_MASK, 0);
                }
            }
        }
    }
    /* Immediate amounts, including the encodable 32 of LSR/ASR, and RRX. */
    u32 a = 0x80000001, r, psr, c;
#define SHIFT_IMM(insn, n, t, pin) do { \
        __asm__ volatile("msr apsr_nzcvq, %[pi]\n " insn " %[r], %[x], #" #n "\n mrs %[p], apsr" \
                         : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(a), [pi] "r"(pin) : "cc"); \
        line_start(insn " #" #n); arg(a); result(r); flags(psr); nl(); \
        CHECK_EQ(r, ref_shift(t, a, n, 0, &c)); \
        CHECK_EQ(psr & PSR_MASK, nz(r) | (c ? FC : 0)); } while (0)
    SHIFT_IMM("lsls", 1, 0, 0);
    SHIFT_IMM("lsls", 31, 0, 0);
    SHIFT_IMM("lsrs", 1, 1, 0);
    SHIFT_IMM("lsrs", 32, 1, 0);
    SHIFT_IMM("asrs", 1, 2, 0);
    SHIFT_IMM("asrs", 31, 2, 0);
    SHIFT_IMM("asrs", 32, 2, 0);
    SHIFT_IMM("rors", 1, 3, 0);
    SHIFT_IMM("rors", 31, 3, 0);
    for (u32 cin = 0; cin < 2; cin++) {
        __asm__ volatile("msr apsr_nzcvq, %[pi]\n rrxs %[r], %[x]\n mrs %[p], apsr"
                         : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(a), [pi] "r"(cin ? FC : 0) : "cc");
        line_start(cin ? "rrxs c1" : "rrxs c0"); arg(a); result(r); flags(psr); nl();
        CHECK_EQ(r, (a >> 1) | (cin << 31));
        CHECK_EQ(psr & PSR_MASK, nz(r) | FC);
    }
    /* Shifted register operands of ADD and CMP. */
    __asm__ volatile("add %0, %1, %2, lsl #3" : "=r"(r) : "r"(1), "r"(0x10000001));
    CHECK_EQ(r, 0x80000009);
    __asm__ volatile("sub %0, %1, %2, asr #4" : "=r"(r) : "r"(0), "r"(0x80000000));
    CHECK_EQ(r, 0x08000000);
    __asm__ volatile("add %0, %1, %2, ror #8" : "=r"(r) : "r"(0), "r"(0x000000ab));
    CHECK_EQ(r, 0xab000000);
    line_start("add/sub shifted operand ok"); nl();
#undef SHIFT_IMM
}

/* ------------------------------------------------------------ bits */

static u32 ref_clz(u32 a) {
    u32 n = 0;
    while (n < 32 && !(a & (0x80000000u >> n))) {
        n++;
    }
    return n;
}

static u32 ref_rbit(u32 a) {
    u32 r = 0;
    for (int i = 0; i < 32; i++) {
        r |= ((a >> i) & 1) << (31 - i);
    }
    return r;
}

static void test_bits(void) {
    static const u32 vals[] = {0, 1, 0x80000000, 0x12345678, 0xff00ff80, 0xffffffff, 0x00008000, 0x000000ff};
    for (unsigned i = 0; i < sizeof vals / 4; i++) {
        u32 a = vals[i], clz, rbit, rev, rev16, revsh;
        __asm__ volatile("clz %0, %1" : "=r"(clz) : "r"(a));
        __asm__ volatile("rbit %0, %1" : "=r"(rbit) : "r"(a));
        __asm__ volatile("rev %0, %1" : "=r"(rev) : "r"(a));
        __asm__ volatile("rev16 %0, %1" : "=r"(rev16) : "r"(a));
        __asm__ volatile("revsh %0, %1" : "=r"(revsh) : "r"(a));
        line_start("clz/rbit/rev/rev16/revsh"); arg(a); result(clz); arg(rbit); arg(rev); arg(rev16); arg(revsh); nl();
        CHECK_EQ(clz, ref_clz(a));
        CHECK_EQ(rbit, ref_rbit(a));
        CHECK_EQ(rev, (a >> 24) | ((a >> 8) & 0xff00) | ((a << 8) & 0xff0000) | (a << 24));
        CHECK_EQ(rev16, ((a >> 8) & 0x00ff00ff) | ((a << 8) & 0xff00ff00));
        CHECK_EQ(revsh, (u32)(s32)(short)(((a >> 8) & 0xff) | ((a & 0xff) << 8)));
        /* Extends, plain and rotated. */
        u32 sb, sh, ub, uh, sbr, uhr;
        __asm__ volatile("sxtb %0, %1" : "=r"(sb) : "r"(a));
        __asm__ volatile("sxth %0, %1" : "=r"(sh) : "r"(a));
        __asm__ volatile("uxtb %0, %1" : "=r"(ub) : "r"(a));
        __asm__ volatile("uxth %0, %1" : "=r"(uh) : "r"(a));
        __asm__ volatile("sxtb %0, %1, ror #8" : "=r"(sbr) : "r"(a));
        __asm__ volatile("uxth %0, %1, ror #24" : "=r"(uhr) : "r"(a));
        line_start("sxtb/sxth/uxtb/uxth/sxtb ror8/uxth ror24"); arg(a); result(sb); arg(sh); arg(ub); arg(uh); arg(sbr); arg(uhr); nl();
        CHECK_EQ(sb, (u32)(s32)(signed char)a);
        CHECK_EQ(sh, (u32)(s32)(short)a);
        CHECK_EQ(ub, a & 0xff);
        CHECK_EQ(uh, a & 0xffff);
        CHECK_EQ(sbr, (u32)(s32)(signed char)(a >> 8));
        CHECK_EQ(uhr, ((a >> 24) | (a << 8)) & 0xffff);
    }
}

/* ------------------------------------------------------------ bitfields */

static u32 mask(u32 w) {
    return w >= 32 ? 0xffffffff : (1u << w) - 1;
}

static void test_bitfields(void) {
    static const u32 vals[] = {0x87654321, 0x7fffffff, 0xffffffff, 0};
    for (unsigned i = 0; i < 4; i++) {
        u32 a = vals[i], d = 0xa5a5a5a5, r;
#define BF(kind, lsb, width, want) do { \
        __asm__ volatile(kind " %0, %1, #" #lsb ", #" #width : "=r"(r) : "r"(a)); \
        line_start(kind " #" #lsb ",#" #width); arg(a); result(r); nl(); \
        CHECK_EQ(r, want); } while (0)
        BF("ubfx", 4, 8, (a >> 4) & 0xff);
        BF("ubfx", 0, 32, a);
        BF("ubfx", 31, 1, a >> 31);
        BF("ubfx", 0, 1, a & 1);
        BF("sbfx", 28, 4, (u32)((s32)a >> 28));
        BF("sbfx", 31, 1, (u32)((s32)a >> 31));
        BF("sbfx", 0, 32, a);
        BF("sbfx", 8, 12, (u32)(((s32)(a << 12)) >> 20));
#undef BF
#define BFI(lsb, width) do { \
        r = d; \
        __asm__ volatile("bfi %0, %1, #" #lsb ", #" #width : "+r"(r) : "r"(a)); \
        line_start("bfi #" #lsb ",#" #width); arg(a); arg(d); result(r); nl(); \
        CHECK_EQ(r, (d & ~(mask(width) << lsb)) | ((a & mask(width)) << lsb)); } while (0)
        BFI(8, 12);
        BFI(0, 32);
        BFI(31, 1);
        BFI(0, 1);
#undef BFI
    }
    u32 r = 0xffffffff;
    __asm__ volatile("bfc %0, #4, #8" : "+r"(r));
    CHECK_EQ(r, 0xfffff00f);
    __asm__ volatile("bfc %0, #31, #1" : "+r"(r));
    CHECK_EQ(r, 0x7ffff00f);
    __asm__ volatile("bfc %0, #0, #32" : "+r"(r));
    CHECK_EQ(r, 0);
    line_start("bfc ok"); nl();
}

/* ------------------------------------------------------------ saturation */

static u32 ref_ssat(s32 x, u32 n, u32 *q) {
    s64 hi = ((s64)1 << (n - 1)) - 1, lo = -((s64)1 << (n - 1));
    if (x > hi) {
        *q = 1;
        return (u32)hi;
    }
    if (x < lo) {
        *q = 1;
        return (u32)lo;
    }
    *q = 0;
    return (u32)x;
}

static u32 ref_usat(s32 x, u32 n, u32 *q) {
    s64 hi = ((s64)1 << n) - 1;
    if (x > hi) {
        *q = 1;
        return (u32)hi;
    }
    if (x < 0) {
        *q = 1;
        return 0;
    }
    *q = 0;
    return (u32)x;
}

static void test_saturate(void) {
    static const u32 vals[] = {0, 1, 0xffffffff, 127, 128, 0xffffff80, 0xffffff7f, 0x7fffffff, 0x80000000, 300, 0xfffffed4, 0x00001000};
    for (unsigned i = 0; i < sizeof vals / 4; i++) {
        u32 a = vals[i], r, psr, q;
#define SAT(insn, n, shift, refn, shifted) do { \
        __asm__ volatile("msr apsr_nzcvq, %[z]\n " insn " %[r], #" #n ", %[x]" shift "\n mrs %[p], apsr" \
                         : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(a), [z] "r"(0) : "cc"); \
        line_start(insn " #" #n shift); arg(a); result(r); flags(psr); nl(); \
        CHECK_EQ(r, refn((s32)(shifted), n, &q)); \
        CHECK_EQ(psr & PSR_MASK, q ? FQ : 0); } while (0)
        SAT("ssat", 8, "", ref_ssat, a);
        SAT("usat", 8, "", ref_usat, a);
        SAT("ssat", 1, "", ref_ssat, a);
        SAT("usat", 0, "", ref_usat, a);
        SAT("ssat", 32, "", ref_ssat, a);
        SAT("usat", 31, "", ref_usat, a);
        SAT("ssat", 16, ", lsl #4", ref_ssat, a << 4);
        SAT("usat", 16, ", asr #1", ref_usat, (s32)a >> 1);
#undef SAT
    }
    /* Q is sticky: set stays set until written. */
    u32 r, psr;
    __asm__ volatile("msr apsr_nzcvq, %[q]\n ssat %[r], #8, %[x]\n mrs %[p], apsr"
                     : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(5), [q] "r"(FQ) : "cc");
    line_start("ssat no saturation, Q kept"); result(r); flags(psr); nl();
    CHECK_EQ(psr & PSR_MASK, FQ);
}

/* ------------------------------------------------------------ multiply */

static void test_multiply(void) {
    static const u32 vals[][2] = {
        {0xffffffff, 0xffffffff}, {0x80000000, 2}, {0x12345678, 0x9abcdef0}, {0xfffffffd, 7},
        {0x7fffffff, 0x7fffffff}, {0, 0x80000000}, {0x80000000, 0x80000000}, {65536, 65536},
    };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        u32 a = vals[i][0], b = vals[i][1], acc = 0x01020304, r, psr;
        __asm__ volatile("mul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
        line_start("mul"); arg(a); arg(b); result(r); nl();
        CHECK_EQ(r, a * b);
        /* MULS (16-bit, Rd == Rm) sets N and Z only. */
        r = b;
        __asm__ volatile("msr apsr_nzcvq, %[pi]\n muls %[r], %[x], %[r]\n mrs %[p], apsr"
                         : [r] "+l"(r), [p] "=&r"(psr) : [x] "l"(a), [pi] "r"(FC | FV) : "cc");
        line_start("muls"); arg(a); arg(b); result(r); flags(psr); nl();
        CHECK_EQ(r, a * b);
        CHECK_EQ(psr & PSR_MASK, nz(a * b) | FC | FV);
        __asm__ volatile("mla %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
        line_start("mla"); arg(a); arg(b); arg(acc); result(r); nl();
        CHECK_EQ(r, a * b + acc);
        __asm__ volatile("mls %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
        line_start("mls"); arg(a); arg(b); arg(acc); result(r); nl();
        CHECK_EQ(r, acc - a * b);
        u32 lo, hi;
        __asm__ volatile("umull %0, %1, %2, %3" : "=&r"(lo), "=&r"(hi) : "r"(a), "r"(b));
        line_start("umull"); arg(a); arg(b); result(hi); arg(lo); nl();
        CHECK_EQ64(((u64)hi << 32) | lo, (u64)a * b);
        __asm__ volatile("smull %0, %1, %2, %3" : "=&r"(lo), "=&r"(hi) : "r"(a), "r"(b));
        line_start("smull"); arg(a); arg(b); result(hi); arg(lo); nl();
        CHECK_EQ64(((u64)hi << 32) | lo, (u64)((s64)(s32)a * (s32)b));
        lo = 0xffffffff;
        hi = 0x7fffffff;
        __asm__ volatile("umlal %0, %1, %2, %3" : "+&r"(lo), "+&r"(hi) : "r"(a), "r"(b));
        line_start("umlal 0x7fffffffffffffff"); arg(a); arg(b); result(hi); arg(lo); nl();
        CHECK_EQ64(((u64)hi << 32) | lo, 0x7fffffffffffffffull + (u64)a * b);
        lo = 1;
        hi = 0x80000000;
        __asm__ volatile("smlal %0, %1, %2, %3" : "+&r"(lo), "+&r"(hi) : "r"(a), "r"(b));
        line_start("smlal 0x8000000000000001"); arg(a); arg(b); result(hi); arg(lo); nl();
        CHECK_EQ64(((u64)hi << 32) | lo, 0x8000000000000001ull + (u64)((s64)(s32)a * (s32)b));
    }
}

/* ------------------------------------------------------------ divide */

static void test_divide(void) {
    static const u32 vals[][2] = {
        {7, 2}, {7, 0}, {0, 0}, {0xffffffff, 1}, {0xffffffff, 0xffffffff}, {0xfffffff9, 2},
        {7, 0xfffffffe}, {0xfffffff9, 0xfffffffe}, {0x80000000, 0xffffffff}, {0x80000000, 0},
        {5, 7}, {0x12345678, 0x1000}, {0x80000000, 0x80000000},
    };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        u32 a = vals[i][0], b = vals[i][1], q, sq;
        __asm__ volatile("udiv %0, %1, %2" : "=r"(q) : "r"(a), "r"(b));
        __asm__ volatile("sdiv %0, %1, %2" : "=r"(sq) : "r"(a), "r"(b));
        line_start("udiv/sdiv"); arg(a); arg(b); result(q); arg(sq); nl();
        CHECK_EQ(q, b ? a / b : 0);
        u32 want = b == 0 ? 0 : (a == 0x80000000 && b == 0xffffffff) ? 0x80000000 : (u32)((s32)a / (s32)b);
        CHECK_EQ(sq, want);
    }
}

/* ------------------------------------------------------------ IT */

static int cond_holds(int cc, u32 f) {
    int n = !!(f & FN), z = !!(f & FZ), c = !!(f & FC), v = !!(f & FV);
    switch (cc) {
    case 0: return z;
    case 1: return !z;
    case 2: return c;
    case 3: return !c;
    case 4: return n;
    case 5: return !n;
    case 6: return v;
    case 7: return !v;
    case 8: return c && !z;
    case 9: return !c || z;
    case 10: return n == v;
    case 11: return n != v;
    case 12: return !z && n == v;
    default: return z || n != v;
    }
}

#define IT1(cc) ({ u32 _r = 0; \
    __asm__ volatile("msr apsr_nzcvq, %[f]\n it " #cc "\n mov" #cc " %[r], #1" : [r] "+r"(_r) : [f] "r"(f) : "cc"); _r; })

static void test_it(void) {
    puts_("IT: flags -> eq ne cs cc mi pl vs vc hi ls ge lt gt le\n");
    for (u32 k = 0; k < 16; k++) {
        u32 f = k << 28;
        u32 m = IT1(eq) | IT1(ne) << 1 | IT1(cs) << 2 | IT1(cc) << 3 | IT1(mi) << 4 | IT1(pl) << 5 |
                IT1(vs) << 6 | IT1(vc) << 7 | IT1(hi) << 8 | IT1(ls) << 9 | IT1(ge) << 10 |
                IT1(lt) << 11 | IT1(gt) << 12 | IT1(le) << 13;
        u32 want = 0;
        for (int cc = 0; cc < 14; cc++) {
            want |= (u32)cond_holds(cc, f) << cc;
        }
        puts_("IT ");
        put_nzcvq(f);
        puts_(" ->");
        for (int cc = 0; cc < 14; cc++) {
            putc_(' ');
            putc_((m >> cc) & 1 ? '1' : '0');
        }
        nl();
        CHECK_EQ(m, want);
    }
    /* A four-instruction block with both conditions, and a compare inside a
       block changing the condition for the rest of it. */
    u32 a = 0, b = 0, c = 0, d = 0;
    __asm__ volatile("cmp %[x], %[x]\n itete eq\n addeq %[a], #1\n addne %[b], #2\n addeq %[c], #3\n addne %[d], #4"
                     : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [d] "+r"(d) : [x] "r"(5) : "cc");
    line_start("itete eq"); result(a); arg(b); arg(c); arg(d); nl();
    CHECK_EQ(a, 1);
    CHECK_EQ(b, 0);
    CHECK_EQ(c, 3);
    CHECK_EQ(d, 0);
    a = 0, b = 0;
    __asm__ volatile("cmp %[x], %[x]\n ittt eq\n moveq %[a], #1\n cmpeq %[x], #6\n moveq %[b], #1"
                     : [a] "+r"(a), [b] "+r"(b) : [x] "r"(5) : "cc");
    line_start("ittt eq with cmp inside"); result(a); arg(b); nl();
    CHECK_EQ(a, 1);
    CHECK_EQ(b, 0);
    /* A conditional branch ending a block. */
    a = 0;
    __asm__ volatile("cmp %[x], #5\n itt eq\n moveq %[a], #7\n beq 1f\n mov %[a], #9\n1:"
                     : [a] "+r"(a) : [x] "r"(5) : "cc");
    line_start("it ending in beq"); result(a); nl();
    CHECK_EQ(a, 7);
    /* 16-bit data-processing instructions do not set flags inside IT. */
    u32 psr;
    a = 0xffffffff;
    __asm__ volatile("msr apsr_nzcvq, %[z]\n cmp %[a], %[a]\n it eq\n addeq %[a], %[a], #1\n mrs %[p], apsr"
                     : [a] "+l"(a), [p] "=r"(psr) : [z] "r"(0) : "cc");
    line_start("adds-like add inside IT"); result(a); flags(psr); nl();
    CHECK_EQ(a, 0);
    CHECK_EQ(psr & PSR_MASK, FZ | FC);
}

/* ------------------------------------------------------------ loads and stores */

static u32 buf[8] __attribute__((aligned(8)));

static void fill(void) {
    u8 *p = (u8 *)buf;
    for (int i = 0; i < 32; i++) {
        p[i] = (u8)(0x80 + i * 3);
    }
}

static u32 le32(const u8 *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void test_loadstore(void) {
    fill();
    const u8 *p = (const u8 *)buf;
    for (u32 off = 0; off < 4; off++) {
        u32 w, h, sh, b, sb;
        __asm__ volatile("ldr %0, [%1]" : "=r"(w) : "r"(p + off) : "memory");
        __asm__ volatile("ldrh %0, [%1, #1]" : "=r"(h) : "r"(p + off) : "memory");
        __asm__ volatile("ldrsh %0, [%1, #3]" : "=r"(sh) : "r"(p + off) : "memory");
        __asm__ volatile("ldrb %0, [%1, #5]" : "=r"(b) : "r"(p + off) : "memory");
        __asm__ volatile("ldrsb %0, [%1, #-1]" : "=r"(sb) : "r"(p + 8 + off) : "memory");
        line_start("ldr/ldrh/ldrsh/ldrb/ldrsb at +"); put_dec(off); result(w); arg(h); arg(sh); arg(b); arg(sb); nl();
        CHECK_EQ(w, le32(p + off));
        CHECK_EQ(h, p[off + 1] | p[off + 2] << 8);
        CHECK_EQ(sh, (u32)(s32)(short)(p[off + 3] | p[off + 4] << 8));
        CHECK_EQ(b, p[off + 5]);
        CHECK_EQ(sb, (u32)(s32)(signed char)p[off + 7]);
    }
    /* Unaligned stores. */
    u8 *q = (u8 *)buf;
    __asm__ volatile("str %0, [%1, #1]" :: "r"(0x11223344), "r"(q) : "memory");
    __asm__ volatile("strh %0, [%1, #7]" :: "r"(0xaabbccdd), "r"(q) : "memory");
    __asm__ volatile("str %0, [%1, #10]" :: "r"(0xdeadbeef), "r"(q) : "memory");
    line_start("unaligned stores"); result(buf[0]); arg(buf[1]); arg(buf[2]); arg(buf[3]); nl();
    u8 model[16];
    for (int i = 0; i < 16; i++) {
        model[i] = (u8)(0x80 + i * 3);
    }
    model[1] = 0x44, model[2] = 0x33, model[3] = 0x22, model[4] = 0x11;
    model[7] = 0xdd, model[8] = 0xcc;
    model[10] = 0xef, model[11] = 0xbe, model[12] = 0xad, model[13] = 0xde;
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(buf[i], le32(model + 4 * i));
    }

    /* Addressing modes: register offset with shift, writeback. */
    fill();
    u32 idx = 3, v, base = (u32)buf;
    __asm__ volatile("ldr %0, [%1, %2, lsl #2]" : "=r"(v) : "r"(buf), "r"(idx) : "memory");
    CHECK_EQ(v, buf[3]);
    __asm__ volatile("ldr %0, [%1, #4]!" : "=r"(v), "+r"(base) :: "memory");
    CHECK_EQ(v, buf[1]);
    CHECK_EQ(base, (u32)&buf[1]);
    __asm__ volatile("ldr %0, [%1], #8" : "=r"(v), "+r"(base) :: "memory");
    CHECK_EQ(v, buf[1]);
    CHECK_EQ(base, (u32)&buf[3]);
    __asm__ volatile("str %1, [%0, #-4]!" : "+r"(base) : "r"(0x5a5a5a5a) : "memory");
    CHECK_EQ(base, (u32)&buf[2]);
    CHECK_EQ(buf[2], 0x5a5a5a5a);
    __asm__ volatile("ldrb %0, [%1], #-1" : "=r"(v), "+r"(base) :: "memory");
    CHECK_EQ(v, 0x5a);
    CHECK_EQ(base, (u32)&buf[2] - 1);
    __asm__ volatile("ldrt %0, [%1, #1]" : "=r"(v) : "r"(base) : "memory");
    CHECK_EQ(v, 0x5a5a5a5a);
    line_start("addressing modes ok"); nl();

    /* LDRD/STRD. */
    u32 lo, hi;
    base = (u32)buf;
    __asm__ volatile("strd %2, %3, [%1, #8]!\n ldrd %0, %4, [%1, #-8]"
                     : "=&r"(lo), "+r"(base) : "r"(0x01234567), "r"(0x89abcdef), "r"(0) : "memory");
    hi = 0;
    __asm__ volatile("ldrd %0, %1, [%2, #-8]" : "=&r"(lo), "=&r"(hi) : "r"(base) : "memory");
    line_start("strd/ldrd"); result(buf[2]); arg(buf[3]); arg(lo); arg(hi); nl();
    CHECK_EQ(base, (u32)&buf[2]);
    CHECK_EQ(buf[2], 0x01234567);
    CHECK_EQ(buf[3], 0x89abcdef);
    CHECK_EQ(lo, buf[0]);
    CHECK_EQ(hi, buf[1]);
    __asm__ volatile("ldrd %0, %1, [%2], #-4" : "=&r"(lo), "=&r"(hi), "+r"(base) :: "memory");
    CHECK_EQ(lo, 0x01234567);
    CHECK_EQ(hi, 0x89abcdef);
    CHECK_EQ(base, (u32)&buf[1]);
}

static void test_multiple(void) {
    u32 out[8], base, r4, r5, r6, r7, sp0, sp1;
    for (int i = 0; i < 8; i++) {
        out[i] = 0;
    }
    base = (u32)&out[1];
    __asm__ volatile("mov r4, #0x44\n mov r5, #0x55\n mov r6, #0x66\n mov r7, #0x77\n stmia %0!, {r4-r7}"
                     : "+r"(base) :: "r4", "r5", "r6", "r7", "memory");
    line_start("stmia!"); result(out[0]); arg(out[1]); arg(out[2]); arg(out[3]); arg(out[4]); arg(out[5]); nl();
    CHECK_EQ(base, (u32)&out[5]);
    CHECK_EQ(out[1], 0x44);
    CHECK_EQ(out[4], 0x77);
    CHECK_EQ(out[5], 0);
    __asm__ volatile("ldmdb %4!, {r4-r7}\n mov %0, r4\n mov %1, r5\n mov %2, r6\n mov %3, r7"
                     : "=r"(r4), "=r"(r5), "=r"(r6), "=r"(r7), "+r"(base) :: "r4", "r5", "r6", "r7", "memory");
    CHECK_EQ(base, (u32)&out[1]);
    CHECK_EQ(r4, 0x44);
    CHECK_EQ(r7, 0x77);
    __asm__ volatile("mov r4, #1\n mov r5, #2\n mov r6, #3\n stmdb %0, {r4, r6}"
                     : : "r"(&out[7]) : "r4", "r5", "r6", "memory");
    CHECK_EQ(out[5], 1);
    CHECK_EQ(out[6], 3);
    __asm__ volatile("ldmia %1, {r4, r5, r6}\n add %0, r4, r5\n add %0, %0, r6" : "=r"(r4) : "r"(&out[4]) : "r4", "r5", "r6", "memory");
    CHECK_EQ(r4, 0x77 + 1 + 3);
    /* PUSH stores the lowest register at the lowest address. */
    __asm__ volatile("mov %0, sp\n mov r4, #4\n mov r5, #5\n mov r6, #6\n push {r4, r5, r6}\n"
                     "ldr %2, [sp]\n ldr %3, [sp, #8]\n pop {r5, r6, r7}\n mov %1, sp\n mov %4, r7"
                     : "=&r"(sp0), "=&r"(sp1), "=&r"(r4), "=&r"(r6), "=&r"(r7) :: "r4", "r5", "r6", "r7", "memory");
    line_start("push/pop"); result(r4); arg(r6); arg(r7); arg(sp0 - sp1); nl();
    CHECK_EQ(sp0, sp1);
    CHECK_EQ(r4, 4);
    CHECK_EQ(r6, 6);
    CHECK_EQ(r7, 6);
}

/* ------------------------------------------------------------ table branches */

static u32 tbb_switch(u32 i) {
    u32 r;
    __asm__ volatile(
        "tbb [pc, %1]\n"
        "1:\n"
        ".byte (2f-1b)/2, (3f-1b)/2, (4f-1b)/2, (5f-1b)/2, (3f-1b)/2\n"
        ".align 1\n"
        "2: movw %0, #0x100\n b 6f\n"
        "3: movw %0, #0x101\n b 6f\n"
        "4: movw %0, #0x102\n b 6f\n"
        "5: movw %0, #0x103\n"
        "6:\n"
        : "=r"(r) : "r"(i));
    return r;
}

static u32 tbh_switch(u32 i) {
    u32 r;
    __asm__ volatile(
        "tbh [pc, %1, lsl #1]\n"
        "1:\n"
        ".hword (2f-1b)/2, (3f-1b)/2, (4f-1b)/2\n"
        ".align 1\n"
        "2: movw %0, #0x200\n b 6f\n"
        "3: movw %0, #0x201\n b 6f\n"
        ".space 600\n" /* beyond a byte table's reach */
        "4: movw %0, #0x202\n"
        "6:\n"
        : "=r"(r) : "r"(i));
    return r;
}

/* A dense switch the compiler turns into a table branch. */
static u32 __attribute__((noinline)) c_switch(u32 i) {
    switch (i) {
    case 0: return 11;
    case 1: return 22;
    case 2: return 35;
    case 3: return 47;
    case 4: return 51;
    case 5: return 69;
    case 6: return 73;
    case 7: return 88;
    default: return 0;
    }
}

static void test_table_branch(void) {
    static const u32 tbb_want[] = {0x100, 0x101, 0x102, 0x103, 0x101};
    static const u32 c_want[] = {11, 22, 35, 47, 51, 69, 73, 88, 0};
    puts_("tbb");
    for (u32 i = 0; i < 5; i++) {
        u32 r = tbb_switch(i);
        arg(r);
        CHECK_EQ(r, tbb_want[i]);
    }
    puts_("\ntbh");
    for (u32 i = 0; i < 3; i++) {
        u32 r = tbh_switch(i);
        arg(r);
        CHECK_EQ(r, 0x200 + i);
    }
    puts_("\nswitch");
    for (u32 i = 0; i < 9; i++) {
        u32 r = c_switch(i);
        putc_(' ');
        put_dec(r);
        CHECK_EQ(r, c_want[i]);
    }
    nl();
}

/* ------------------------------------------------------------ exclusives */

static void test_exclusive(void) {
    static volatile u32 word = 100;
    static volatile u16 half = 0x1234;
    static volatile u8 byte = 0x56;
    u32 v, st1, st2, st3;
    __asm__ volatile("ldrex %0, [%3]\n add %0, %0, #1\n strex %1, %0, [%3]\n strex %2, %0, [%3]"
                     : "=&r"(v), "=&r"(st1), "=&r"(st2) : "r"(&word) : "memory");
    __asm__ volatile("ldrex %0, [%2]\n clrex\n strex %1, %0, [%2]" : "=&r"(v), "=&r"(st3) : "r"(&word) : "memory");
    line_start("ldrex/strex: status"); result(st1); arg(st2); arg(st3); arg(word); nl();
    CHECK_EQ(st1, 0);
    CHECK_EQ(st2, 1); /* the first STREX cleared the monitor */
    CHECK_EQ(st3, 1);
    CHECK_EQ(word, 101);
    __asm__ volatile("strex %0, %1, [%2]" : "=&r"(st1) : "r"(7), "r"(&word) : "memory");
    CHECK_EQ(st1, 1); /* no LDREX before */
    CHECK_EQ(word, 101);
    __asm__ volatile("ldrexh %0, [%2]\n add %0, %0, #1\n strexh %1, %0, [%2]" : "=&r"(v), "=&r"(st1) : "r"(&half) : "memory");
    __asm__ volatile("ldrexb %0, [%2]\n add %0, %0, #1\n strexb %1, %0, [%2]" : "=&r"(v), "=&r"(st2) : "r"(&byte) : "memory");
    line_start("ldrexh/strexh, ldrexb/strexb"); result(st1); arg(half); arg(st2); arg(byte); nl();
    CHECK_EQ(st1, 0);
    CHECK_EQ(half, 0x1235);
    CHECK_EQ(st2, 0);
    CHECK_EQ(byte, 0x57);
    /* An atomic increment loop. */
    for (int i = 0; i < 10; i++) {
        __asm__ volatile("1: ldrex %0, [%2]\n add %0, %0, #3\n strex %1, %0, [%2]\n cmp %1, #0\n bne 1b"
                         : "=&r"(v), "=&r"(st1) : "r"(&word) : "memory", "cc");
    }
    line_start("ldrex/strex loop"); result(word); nl();
    CHECK_EQ(word, 131);
}

/* ------------------------------------------------------------ DSP (M4) */

#ifdef __ARM_FEATURE_DSP
#define GE_MASK 0x000f0000u

static u32 lane(u32 x, int bits, int i) {
    return (x >> (bits * i)) & ((1u << bits) - 1);
}

static s32 slane(u32 x, int bits, int i) {
    u32 v = lane(x, bits, i);
    return (s32)(v << (32 - bits)) >> (32 - bits);
}

static s32 clamp(s64 v, s64 lo, s64 hi) {
    return (s32)(v < lo ? lo : v > hi ? hi : v);
}

#define DSP2(insn, a, b, R_, P_) \
    __asm__ volatile("msr apsr_nzcvqg, %[z]\n " insn " %[r], %[x], %[y]\n mrs %[p], apsr" \
                     : [r] "=&r"(R_), [p] "=&r"(P_) : [x] "r"(a), [y] "r"(b), [z] "r"(0) : "cc")
#define DSP3(insn, a, b, c, R_, P_) \
    __asm__ volatile("msr apsr_nzcvqg, %[z]\n " insn " %[r], %[x], %[y], %[w]\n mrs %[p], apsr" \
                     : [r] "=&r"(R_), [p] "=&r"(P_) : [x] "r"(a), [y] "r"(b), [w] "r"(c), [z] "r"(0) : "cc")

static void dsp_line(const char *name, u32 a, u32 b, u32 r, u32 psr) {
    line_start(name); arg(a); arg(b); result(r); flags(psr);
    puts_(" ge ");
    put_dec((psr >> 16) & 15);
    nl();
}

static void test_dsp(void) {
    static const u32 vals[][2] = {
        {0x7fff8000, 0x00018000}, {0x80ff7f01, 0x01ff8001}, {0x12345678, 0x87654321}, {0xffffffff, 0x00000001},
    };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        u32 a = vals[i][0], b = vals[i][1], r, psr, want, ge;
        DSP2("sadd16", a, b, r, psr);
        dsp_line("sadd16", a, b, r, psr);
        want = 0, ge = 0;
        for (int k = 0; k < 2; k++) {
            s32 s = slane(a, 16, k) + slane(b, 16, k);
            want |= ((u32)s & 0xffff) << (16 * k);
            ge |= s >= 0 ? 3u << (2 * k) : 0;
        }
        CHECK_EQ(r, want);
        CHECK_EQ((psr >> 16) & 15, ge);
        DSP2("usub8", a, b, r, psr);
        dsp_line("usub8", a, b, r, psr);
        want = 0, ge = 0;
        for (int k = 0; k < 4; k++) {
            s32 s = (s32)lane(a, 8, k) - (s32)lane(b, 8, k);
            want |= ((u32)s & 0xff) << (8 * k);
            ge |= s >= 0 ? 1u << k : 0;
        }
        CHECK_EQ(r, want);
        CHECK_EQ((psr >> 16) & 15, ge);
        /* SEL picks bytes by the GE flags left by USUB8. */
        u32 sel;
        __asm__ volatile("usub8 %0, %1, %2\n sel %0, %1, %2" : "=&r"(sel) : "r"(a), "r"(b) : "cc");
        want = 0;
        for (int k = 0; k < 4; k++) {
            want |= ((ge >> k) & 1 ? lane(a, 8, k) : lane(b, 8, k)) << (8 * k);
        }
        line_start("usub8+sel"); result(sel); nl();
        CHECK_EQ(sel, want);
        DSP2("qadd16", a, b, r, psr);
        dsp_line("qadd16", a, b, r, psr);
        want = 0;
        for (int k = 0; k < 2; k++) {
            want |= ((u32)clamp(slane(a, 16, k) + slane(b, 16, k), -32768, 32767) & 0xffff) << (16 * k);
        }
        CHECK_EQ(r, want);
        DSP2("uqsub8", a, b, r, psr);
        dsp_line("uqsub8", a, b, r, psr);
        want = 0;
        for (int k = 0; k < 4; k++) {
            want |= ((u32)clamp((s32)lane(a, 8, k) - (s32)lane(b, 8, k), 0, 255)) << (8 * k);
        }
        CHECK_EQ(r, want);
        DSP2("shadd8", a, b, r, psr);
        dsp_line("shadd8", a, b, r, psr);
        want = 0;
        for (int k = 0; k < 4; k++) {
            want |= ((u32)((slane(a, 8, k) + slane(b, 8, k)) >> 1) & 0xff) << (8 * k);
        }
        CHECK_EQ(r, want);
        DSP2("qadd", a, b, r, psr);
        dsp_line("qadd", a, b, r, psr);
        s64 sum = (s64)(s32)a + (s32)b;
        CHECK_EQ(r, (u32)clamp(sum, -0x80000000ll, 0x7fffffffll));
        CHECK_EQ(psr & FQ, (sum > 0x7fffffffll || sum < -0x80000000ll) ? FQ : 0);
        DSP2("qsub", a, b, r, psr);
        dsp_line("qsub", a, b, r, psr);
        sum = (s64)(s32)a - (s32)b;
        CHECK_EQ(r, (u32)clamp(sum, -0x80000000ll, 0x7fffffffll));
        DSP2("smulbb", a, b, r, psr);
        dsp_line("smulbb", a, b, r, psr);
        CHECK_EQ(r, (u32)(slane(a, 16, 0) * slane(b, 16, 0)));
        DSP2("smultb", a, b, r, psr);
        dsp_line("smultb", a, b, r, psr);
        CHECK_EQ(r, (u32)(slane(a, 16, 1) * slane(b, 16, 0)));
        DSP2("smuad", a, b, r, psr);
        dsp_line("smuad", a, b, r, psr);
        s64 dual = (s64)slane(a, 16, 0) * slane(b, 16, 0) + (s64)slane(a, 16, 1) * slane(b, 16, 1);
        CHECK_EQ(r, (u32)dual);
        CHECK_EQ(psr & FQ, (dual > 0x7fffffffll || dual < -0x80000000ll) ? FQ : 0);
        DSP2("smusd", a, b, r, psr);
        dsp_line("smusd", a, b, r, psr);
        CHECK_EQ(r, (u32)(slane(a, 16, 0) * slane(b, 16, 0) - slane(a, 16, 1) * slane(b, 16, 1)));
        DSP3("smlabb", a, b, 0x7fffffff, r, psr);
        dsp_line("smlabb +0x7fffffff", a, b, r, psr);
        sum = (s64)slane(a, 16, 0) * slane(b, 16, 0) + 0x7fffffff;
        CHECK_EQ(r, (u32)sum);
        CHECK_EQ(psr & FQ, sum > 0x7fffffffll ? FQ : 0);
        DSP2("smmul", a, b, r, psr);
        dsp_line("smmul", a, b, r, psr);
        CHECK_EQ(r, (u32)(((s64)(s32)a * (s32)b) >> 32));
        DSP2("smmulr", a, b, r, psr);
        dsp_line("smmulr", a, b, r, psr);
        CHECK_EQ(r, (u32)(((s64)(s32)a * (s32)b + 0x80000000ll) >> 32));
        DSP2("usad8", a, b, r, psr);
        dsp_line("usad8", a, b, r, psr);
        want = 0;
        for (int k = 0; k < 4; k++) {
            s32 d = (s32)lane(a, 8, k) - (s32)lane(b, 8, k);
            want += (u32)(d < 0 ? -d : d);
        }
        CHECK_EQ(r, want);
        __asm__ volatile("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
        line_start("pkhbt lsl #16"); arg(a); arg(b); result(r); nl();
        CHECK_EQ(r, (a & 0xffff) | (b << 16));
        __asm__ volatile("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
        line_start("pkhtb asr #16"); arg(a); arg(b); result(r); nl();
        CHECK_EQ(r, (a & 0xffff0000) | (((u32)((s32)b >> 16)) & 0xffff));
        __asm__ volatile("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(b));
        line_start("sxtab16 ror #8"); arg(a); arg(b); result(r); nl();
        u32 rb = (b >> 8) | (b << 24);
        CHECK_EQ(r, (((a & 0xffff) + (u32)slane(rb, 8, 0)) & 0xffff) | (((a >> 16) + (u32)slane(rb, 8, 2)) << 16));
        __asm__ volatile("msr apsr_nzcvqg, %[z]\n ssat16 %[r], #8, %[x]\n mrs %[p], apsr"
                         : [r] "=&r"(r), [p] "=&r"(psr) : [x] "r"(a), [z] "r"(0) : "cc");
        line_start("ssat16 #8"); arg(a); result(r); flags(psr); nl();
        want = ((u32)clamp(slane(a, 16, 0), -128, 127) & 0xffff) | ((u32)clamp(slane(a, 16, 1), -128, 127) << 16);
        CHECK_EQ(r, want);
        __asm__ volatile("usat16 %0, #4, %1" : "=r"(r) : "r"(a) : "cc");
        line_start("usat16 #4"); arg(a); result(r); nl();
        CHECK_EQ(r, (u32)clamp(slane(a, 16, 0), 0, 15) | ((u32)clamp(slane(a, 16, 1), 0, 15) << 16));
        u32 lo = 0xffffffff, hi = 0x12345678;
        __asm__ volatile("smlald %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b));
        line_start("smlald"); arg(a); arg(b); result(hi); arg(lo); nl();
        CHECK_EQ64(((u64)hi << 32) | lo, 0x12345678ffffffffull + (u64)dual);
        lo = 0xffffffff, hi = 0xffffffff;
        __asm__ volatile("umaal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b));
        line_start("umaal"); arg(a); arg(b); result(hi); arg(lo); nl();
        CHECK_EQ64(((u64)hi << 32) | lo, (u64)a * b + 0xffffffffull + 0xffffffffull);
    }
}
#endif

int main(void) {
    puts_("alu on ");
    put_hex(REG32(0xE000ED00)); /* CPUID */
    nl();
    test_addsub();
    test_logic();
    test_shifts();
    test_bits();
    test_bitfields();
    test_saturate();
    test_multiply();
    test_divide();
    test_it();
    test_loadstore();
    test_multiple();
    test_table_branch();
    test_exclusive();
#ifdef __ARM_FEATURE_DSP
    test_dsp();
#endif
    finish("alu");
}
