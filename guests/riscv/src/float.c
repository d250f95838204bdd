/* F and D: every instruction over edge cases (signed zeros, subnormals,
   infinities, NaN payloads, signaling NaNs, singles that are not NaN-boxed,
   extremes, halfway cases) under every static rounding mode, with the
   dynamic mode checked against the static one for each frm value. Each
   result is printed as its bits and the fflags it raised ("bits.flags";
   a single that is not properly NaN-boxed is marked '!'). Fused
   multiply-adds over all operand triples print one hash per row, plus a
   list of cases printed one by one. Then mstatus.FS (Off traps, Dirty,
   SD), frm/fflags/fcsr, reserved rounding modes and the compressed
   loads and stores. Built with -march=rv64gc / rv32gc. */
#include "lib.h"

#define RV64 (__riscv_xlen == 64)
#define BOXED(v) (0xffffffff00000000ull | (u64)(v))

typedef u64 (*fp_fn)(u64 a, u64 b, u64 c, u32 *flags);

/* f = op(f, f, f): sources in ft0, ft1, ft3; result in ft2. */
#define DEF_F(fn, text)                                                      \
    static u64 fn(u64 a, u64 b, u64 c, u32 *fl) {                            \
        u64 r;                                                               \
        ulong f;                                                             \
        __asm__ volatile("fld ft0, 0(%[a])\n\tfld ft1, 0(%[b])\n\t"          \
                         "fld ft3, 0(%[c])\n\tcsrw fflags, zero\n\t" text    \
                         "\n\tfsd ft2, 0(%[r])\n\tfrflags %[f]"              \
                         : [f] "=&r"(f)                                      \
                         : [r] "r"(&r), [a] "r"(&a), [b] "r"(&b), [c] "r"(&c) \
                         : "ft0", "ft1", "ft2", "ft3", "memory");            \
        *fl = (u32)f;                                                        \
        return r;                                                            \
    }
/* x = op(f, f): result in %[x]. */
#define DEF_X(fn, text)                                                      \
    static u64 fn(u64 a, u64 b, u64 c, u32 *fl) {                            \
        ulong x, f;                                                          \
        (void)c;                                                             \
        __asm__ volatile("fld ft0, 0(%[a])\n\tfld ft1, 0(%[b])\n\t"          \
                         "csrw fflags, zero\n\t" text "\n\tfrflags %[f]"     \
                         : [x] "=&r"(x), [f] "=&r"(f)                        \
                         : [a] "r"(&a), [b] "r"(&b)                          \
                         : "ft0", "ft1", "memory");                          \
        *fl = (u32)f;                                                        \
        return (u64)(slong)x;                                                \
    }
/* f = op(x): source in %[x]. */
#define DEF_FX(fn, text)                                                     \
    static u64 fn(u64 a, u64 b, u64 c, u32 *fl) {                            \
        u64 r;                                                               \
        ulong f, x = (ulong)a;                                               \
        (void)b;                                                             \
        (void)c;                                                             \
        __asm__ volatile("csrw fflags, zero\n\t" text                        \
                         "\n\tfsd ft2, 0(%[r])\n\tfrflags %[f]"              \
                         : [f] "=&r"(f)                                      \
                         : [r] "r"(&r), [x] "r"(x)                           \
                         : "ft2", "memory");                                 \
        *fl = (u32)f;                                                        \
        return r;                                                            \
    }

/* One function per rounding mode (the last, dyn, reads frm). */
#define RM6(DEF, name, pre, post)                                            \
    DEF(name##_0, pre post ", rne")                                          \
    DEF(name##_1, pre post ", rtz")                                          \
    DEF(name##_2, pre post ", rdn")                                          \
    DEF(name##_3, pre post ", rup")                                          \
    DEF(name##_4, pre post ", rmm")                                          \
    DEF(name##_7, pre post ", dyn")
/* The same with rm as a number, for the exact conversions whose rm the
   assembler does not take (fcvt.d.w, fcvt.d.wu, fcvt.d.s): .insn r. */
#define RM6I(DEF, name, head, tail)                                          \
    DEF(name##_0, head "0" tail)                                             \
    DEF(name##_1, head "1" tail)                                             \
    DEF(name##_2, head "2" tail)                                             \
    DEF(name##_3, head "3" tail)                                             \
    DEF(name##_4, head "4" tail)                                             \
    DEF(name##_7, head "7" tail)
#define FNS6(name) {name##_0, name##_1, name##_2, name##_3, name##_4, name##_7}

#define ARITH(fmt)                                                           \
    RM6(DEF_F, fadd_##fmt, "fadd." #fmt, " ft2, ft0, ft1")                   \
    RM6(DEF_F, fsub_##fmt, "fsub." #fmt, " ft2, ft0, ft1")                   \
    RM6(DEF_F, fmul_##fmt, "fmul." #fmt, " ft2, ft0, ft1")                   \
    RM6(DEF_F, fdiv_##fmt, "fdiv." #fmt, " ft2, ft0, ft1")                   \
    RM6(DEF_F, fsqrt_##fmt, "fsqrt." #fmt, " ft2, ft0")                      \
    RM6(DEF_F, fmadd_##fmt, "fmadd." #fmt, " ft2, ft0, ft1, ft3")            \
    RM6(DEF_F, fmsub_##fmt, "fmsub." #fmt, " ft2, ft0, ft1, ft3")            \
    RM6(DEF_F, fnmsub_##fmt, "fnmsub." #fmt, " ft2, ft0, ft1, ft3")          \
    RM6(DEF_F, fnmadd_##fmt, "fnmadd." #fmt, " ft2, ft0, ft1, ft3")          \
    RM6(DEF_X, fcvt_w_##fmt, "fcvt.w." #fmt, " %[x], ft0")                   \
    RM6(DEF_X, fcvt_wu_##fmt, "fcvt.wu." #fmt, " %[x], ft0")                 \
    DEF_F(fmin_##fmt, "fmin." #fmt " ft2, ft0, ft1")                         \
    DEF_F(fmax_##fmt, "fmax." #fmt " ft2, ft0, ft1")                         \
    DEF_F(fsgnj_##fmt, "fsgnj." #fmt " ft2, ft0, ft1")                       \
    DEF_F(fsgnjn_##fmt, "fsgnjn." #fmt " ft2, ft0, ft1")                     \
    DEF_F(fsgnjx_##fmt, "fsgnjx." #fmt " ft2, ft0, ft1")                     \
    DEF_X(feq_##fmt, "feq." #fmt " %[x], ft0, ft1")                          \
    DEF_X(flt_##fmt, "flt." #fmt " %[x], ft0, ft1")                          \
    DEF_X(fle_##fmt, "fle." #fmt " %[x], ft0, ft1")                          \
    DEF_X(fclass_##fmt, "fclass." #fmt " %[x], ft0")

ARITH(s)
ARITH(d)
RM6(DEF_FX, fcvt_s_w, "fcvt.s.w", " ft2, %[x]")
RM6(DEF_FX, fcvt_s_wu, "fcvt.s.wu", " ft2, %[x]")
RM6I(DEF_FX, fcvt_d_w, ".insn r 0x53, ", ", 0x69, ft2, %[x], x0")
RM6I(DEF_FX, fcvt_d_wu, ".insn r 0x53, ", ", 0x69, ft2, %[x], x1")
RM6(DEF_F, fcvt_s_d, "fcvt.s.d", " ft2, ft0")
RM6I(DEF_F, fcvt_d_s, ".insn r 0x53, ", ", 0x21, ft2, ft0, x0")
#if RV64
RM6(DEF_X, fcvt_l_s, "fcvt.l.s", " %[x], ft0")
RM6(DEF_X, fcvt_lu_s, "fcvt.lu.s", " %[x], ft0")
RM6(DEF_X, fcvt_l_d, "fcvt.l.d", " %[x], ft0")
RM6(DEF_X, fcvt_lu_d, "fcvt.lu.d", " %[x], ft0")
RM6(DEF_FX, fcvt_s_l, "fcvt.s.l", " ft2, %[x]")
RM6(DEF_FX, fcvt_s_lu, "fcvt.s.lu", " ft2, %[x]")
RM6(DEF_FX, fcvt_d_l, "fcvt.d.l", " ft2, %[x]")
RM6(DEF_FX, fcvt_d_lu, "fcvt.d.lu", " ft2, %[x]")
DEF_X(fmv_x_d, "fmv.x.d %[x], ft0")
DEF_FX(fmv_d_x, "fmv.d.x ft2, %[x]")
#endif
DEF_X(fmv_x_w, "fmv.x.w %[x], ft0")
DEF_FX(fmv_w_x, "fmv.w.x ft2, %[x]")

/* binary32 operands, NaN-boxed but for the last (1.0 unboxed). */
static const u64 vs[] = {
    BOXED(0x00000000), BOXED(0x80000000), BOXED(0x3f800000), BOXED(0xbf800000),
    BOXED(0x3f800001), BOXED(0x40400000), BOXED(0x3dcccccd), BOXED(0x33800000),
    BOXED(0x7f7fffff), BOXED(0x00800000), BOXED(0x007fffff), BOXED(0x80000001),
    BOXED(0x7f800000), BOXED(0xff800000), BOXED(0x7fc12345), BOXED(0xff812345),
    0x000000003f800000ull,
};
/* binary64 operands. */
static const u64 vd[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x3ff0000000000001ull, 0x4008000000000000ull,
    0x3fb999999999999aull, 0x3ca0000000000000ull, 0x7fefffffffffffffull,
    0x0010000000000000ull, 0x000fffffffffffffull, 0x8000000000000001ull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000012345ull,
    0xfff0000000012345ull,
};
/* Extra single operands for one-operand operations: integer boundaries,
   halfway cases, a quiet NaN with a payload, a non-boxed value. */
static const u64 us[] = {
    BOXED(0x40200000), BOXED(0xc0200000), BOXED(0x3f000000), BOXED(0xbf000000),
    BOXED(0x40600000), BOXED(0x4effffff), BOXED(0x4f000000), BOXED(0xcf000000),
    BOXED(0xcf000001), BOXED(0x4f800000), BOXED(0x5f000000), BOXED(0xdf000000),
    BOXED(0x5f800000), BOXED(0x7fd00001), BOXED(0x3effffff), 0xffff00003f800000ull,
};
static const u64 ud[] = {
    0x4004000000000000ull, 0xc004000000000000ull, 0x3fe0000000000000ull,
    0xbfe0000000000000ull, 0x400c000000000000ull, 0x41dfffffffc00000ull,
    0x41e0000000000000ull, 0xc1e0000000000000ull, 0xc1e0000000200000ull,
    0x41efffffffe00000ull, 0x41f0000000000000ull, 0x43e0000000000000ull,
    0xc3e0000000000000ull, 0x43f0000000000000ull, 0x3fefffffffffffffull,
    0x3ff0000010000000ull, 0x3ff0000030000000ull, 0x47efffffe0000000ull,
    0x47effffff0000000ull, 0x36a0000000000000ull, 0x3690000000000000ull,
    0x3690000000000001ull, 0x380ffffff0000000ull, 0x380fffffe0000000ull,
    0x7ff4000000000001ull,
};
/* Integer operands (x registers; RV32 keeps the low half). */
static const u64 ints[] = {
    0, 1, (u64)-1, 0x7fffffff, 0x80000000, 0xffffffff, 0x01000001, 0x00ffffff,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x0020000000000001ull,
    0x0fffffffffffffffull, 0x12345678, 0xfedcba9876543210ull, 0x7ffffff0,
};
#define N(a) (sizeof(a) / sizeof(a[0]))

static const char *const rm_names[] = {"rne", "rtz", "rdn", "rup", "rmm"};

static void set_frm(ulong rm) { __asm__ volatile("fsrm %0" ::"r"(rm)); }

static void put_hex_n(u64 v, int digits) {
    for (int i = (digits - 1) * 4; i >= 0; i -= 4) {
        putc_("0123456789abcdef"[(v >> i) & 15]);
    }
}

/* A result: single (boxed: low half; else '!' and all bits) or 64 bits. */
static void put_result(u64 r, u32 fl, int single) {
    if (single && (r >> 32) == 0xffffffff) {
        put_hex_n(r, 8);
    } else {
        if (single) {
            putc_('!');
        }
        put_hex_n(r, 16);
    }
    putc_('.');
    put_hex_n(fl, 2);
}

static u32 hash_step(u32 h, u64 v) {
    for (int i = 0; i < 8; i++) {
        h = (h ^ (u32)((v >> (8 * i)) & 0xff)) * 16777619u;
    }
    return h;
}

/* Runs fns[rm] (and the dynamic form with frm = rm, which must agree) on
   a, b, c. */
static u64 run_rm(const fp_fn *fns, int nrm, int rm, u64 a, u64 b, u64 c, u32 *fl) {
    u64 r = fns[rm](a, b, c, fl);
    if (nrm > 1) {
        u32 fl2;
        set_frm(rm);
        u64 r2 = fns[5](a, b, c, &fl2);
        set_frm(0);
        if (r2 != r || fl2 != *fl) {
            puts_("dynamic rounding differs: ");
            put_hex(r2);
            puts_("\n");
            failures++;
        }
    }
    return r;
}

/* One-operand operations over a list. */
static void unary(const char *name, const fp_fn *fns, int nrm, const u64 *v, int n, int single) {
    for (int rm = 0; rm < nrm; rm++) {
        puts_(name);
        if (nrm > 1) {
            putc_(' ');
            puts_(rm_names[rm]);
        }
        putc_(':');
        for (int i = 0; i < n; i++) {
            u32 fl;
            u64 r = run_rm(fns, nrm, rm, v[i], 0, 0, &fl);
            putc_(i % 8 ? ' ' : '\n');
            put_result(r, fl, single);
        }
        putc_('\n');
    }
}

/* Two-operand operations over all pairs: one line per first operand. */
static void binary(const char *name, const fp_fn *fns, int nrm, const u64 *v, int n, int single) {
    for (int rm = 0; rm < nrm; rm++) {
        puts_(name);
        if (nrm > 1) {
            putc_(' ');
            puts_(rm_names[rm]);
        }
        puts_("\n");
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                u32 fl;
                u64 r = run_rm(fns, nrm, rm, v[i], v[j], 0, &fl);
                if (j) {
                    putc_(' ');
                }
                put_result(r, fl, single);
            }
            putc_('\n');
        }
    }
}

/* Three-operand operations over all triples of the first 11 operands:
   per (a, b), a hash of every (result, flags) over c and the flags ORed. */
static void ternary(const char *name, const fp_fn *fns, const u64 *v) {
    const int n = 11;
    for (int rm = 0; rm < 5; rm++) {
        puts_(name);
        putc_(' ');
        puts_(rm_names[rm]);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                u32 h = 2166136261u, all = 0;
                for (int k = 0; k < n; k++) {
                    u32 fl;
                    u64 r = run_rm(fns, 6, rm, v[i], v[j], v[k], &fl);
                    h = hash_step(h, r);
                    h = hash_step(h, fl);
                    all |= fl;
                }
                putc_(j ? ' ' : '\n');
                put_hex_n(h, 8);
                putc_('.');
                put_hex_n(all, 2);
            }
        }
        putc_('\n');
    }
}

/* Fused cases one by one: (a, b, c) where one rounding differs from two,
   exact cancellation (the sign of zero follows the rounding mode),
   overflow, underflow, inf * 0, NaN addends. */
static const u64 fma_s[][3] = {
    {BOXED(0x3f800001), BOXED(0x3f7fffff), BOXED(0xbf800000)},
    {BOXED(0x3f800000), BOXED(0x3f800000), BOXED(0xbf800000)},
    {BOXED(0x7f7fffff), BOXED(0x40000000), BOXED(0xff7fffff)},
    {BOXED(0x00800000), BOXED(0x3f000000), BOXED(0x80000001)},
    {BOXED(0x7f800000), BOXED(0x00000000), BOXED(0x7fc00001)},
    {BOXED(0x7f800000), BOXED(0x00000000), BOXED(0x3f800000)},
    {BOXED(0x3f800000), BOXED(0x3f800000), BOXED(0x7f812345)},
    {BOXED(0x4b800001), BOXED(0x3f800001), BOXED(0x33800000)},
    {BOXED(0x3dcccccd), BOXED(0x41200000), BOXED(0xbf800000)},
    {BOXED(0x3f800000), 0x3f800000ull, BOXED(0x3f800000)},
};
static const u64 fma_d[][3] = {
    {0x3ff0000000000001ull, 0x3fefffffffffffffull, 0xbff0000000000000ull},
    {0x3ff0000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull},
    {0x7fefffffffffffffull, 0x4000000000000000ull, 0xffefffffffffffffull},
    {0x0010000000000000ull, 0x3fe0000000000000ull, 0x8000000000000001ull},
    {0x7ff0000000000000ull, 0x0000000000000000ull, 0x7ff8000000000001ull},
    {0x7ff0000000000000ull, 0x0000000000000000ull, 0x3ff0000000000000ull},
    {0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x7ff0000000012345ull},
    {0x3fb999999999999aull, 0x4024000000000000ull, 0xbff0000000000000ull},
};

static void fma_cases(const char *name, const fp_fn *fns, const u64 (*c)[3], int n, int single) {
    for (int rm = 0; rm < 5; rm++) {
        puts_(name);
        putc_(' ');
        puts_(rm_names[rm]);
        putc_(':');
        for (int i = 0; i < n; i++) {
            u32 fl;
            u64 r = run_rm(fns, 6, rm, c[i][0], c[i][1], c[i][2], &fl);
            putc_(i % 8 ? ' ' : '\n');
            put_result(r, fl, single);
        }
        putc_('\n');
    }
}

#define RUN_ARITH(fmt, single, v, u)                                             \
    do {                                                                         \
        static const fp_fn add[] = FNS6(fadd_##fmt), sub[] = FNS6(fsub_##fmt);   \
        static const fp_fn mul[] = FNS6(fmul_##fmt), dv[] = FNS6(fdiv_##fmt);    \
        static const fp_fn sq[] = FNS6(fsqrt_##fmt);                             \
        static const fp_fn ma[] = FNS6(fmadd_##fmt), ms[] = FNS6(fmsub_##fmt);   \
        static const fp_fn nms[] = FNS6(fnmsub_##fmt);                           \
        static const fp_fn nma[] = FNS6(fnmadd_##fmt);                           \
        static const fp_fn cw[] = FNS6(fcvt_w_##fmt);                            \
        static const fp_fn cwu[] = FNS6(fcvt_wu_##fmt);                          \
        static const fp_fn fw[] = FNS6(fcvt_##fmt##_w);                          \
        static const fp_fn fwu[] = FNS6(fcvt_##fmt##_wu);                        \
        static const fp_fn mn[] = {fmin_##fmt}, mx[] = {fmax_##fmt};             \
        static const fp_fn sj[] = {fsgnj_##fmt}, sjn[] = {fsgnjn_##fmt};         \
        static const fp_fn sjx[] = {fsgnjx_##fmt}, eq[] = {feq_##fmt};           \
        static const fp_fn lt[] = {flt_##fmt}, le[] = {fle_##fmt};               \
        static const fp_fn cl[] = {fclass_##fmt};                                \
        binary("fadd." #fmt, add, 5, v, N(v), single);                           \
        binary("fsub." #fmt, sub, 5, v, N(v), single);                           \
        binary("fmul." #fmt, mul, 5, v, N(v), single);                           \
        binary("fdiv." #fmt, dv, 5, v, N(v), single);                            \
        binary("fmin." #fmt, mn, 1, v, N(v), single);                            \
        binary("fmax." #fmt, mx, 1, v, N(v), single);                            \
        binary("fsgnj." #fmt, sj, 1, v, N(v), single);                           \
        binary("fsgnjn." #fmt, sjn, 1, v, N(v), single);                         \
        binary("fsgnjx." #fmt, sjx, 1, v, N(v), single);                         \
        binary("feq." #fmt, eq, 1, v, N(v), 0);                                  \
        binary("flt." #fmt, lt, 1, v, N(v), 0);                                  \
        binary("fle." #fmt, le, 1, v, N(v), 0);                                  \
        unary("fsqrt." #fmt, sq, 5, v, N(v), single);                            \
        unary("fsqrt." #fmt, sq, 5, u, N(u), single);                            \
        unary("fclass." #fmt, cl, 1, v, N(v), 0);                                \
        unary("fclass." #fmt, cl, 1, u, N(u), 0);                                \
        unary("fcvt.w." #fmt, cw, 5, v, N(v), 0);                                \
        unary("fcvt.w." #fmt, cw, 5, u, N(u), 0);                                \
        unary("fcvt.wu." #fmt, cwu, 5, v, N(v), 0);                              \
        unary("fcvt.wu." #fmt, cwu, 5, u, N(u), 0);                              \
        unary("fcvt." #fmt ".w", fw, 5, ints, N(ints), single);                  \
        unary("fcvt." #fmt ".wu", fwu, 5, ints, N(ints), single);                \
        ternary("fmadd." #fmt, ma, v);                                           \
        ternary("fmsub." #fmt, ms, v);                                           \
        ternary("fnmsub." #fmt, nms, v);                                         \
        ternary("fnmadd." #fmt, nma, v);                                         \
        fma_cases("fmadd." #fmt, ma, fma_##fmt, N(fma_##fmt), single);           \
        fma_cases("fmsub." #fmt, ms, fma_##fmt, N(fma_##fmt), single);           \
        fma_cases("fnmsub." #fmt, nms, fma_##fmt, N(fma_##fmt), single);         \
        fma_cases("fnmadd." #fmt, nma, fma_##fmt, N(fma_##fmt), single);         \
    } while (0)

/* Traps: record and skip the instruction. */
static volatile ulong last_cause, last_tval, traps;

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    last_cause = cause;
    last_tval = tval;
    traps++;
    unsigned short low = *(volatile unsigned short *)epc;
    return epc + ((low & 3) == 3 ? 4 : 2);
}

static void report_trap(const char *what) {
    puts_(what);
    puts_(": traps ");
    put_dec(traps);
    puts_(" mcause ");
    put_dec(last_cause);
    puts_(" mtval ");
    put_hex_n(last_tval, 8);
    putc_('\n');
    traps = 0;
    last_cause = 0;
    last_tval = 0;
}

static ulong read_mstatus(void) {
    ulong v;
    __asm__ volatile("csrr %0, mstatus" : "=r"(v));
    return v;
}

static void put_fs(const char *what) {
    ulong m = read_mstatus(), s;
    __asm__ volatile("csrr %0, sstatus" : "=r"(s));
    puts_(what);
    puts_(": FS ");
    put_dec((m >> 13) & 3);
    puts_(" SD ");
    put_dec(m >> (sizeof(ulong) * 8 - 1));
    puts_(" sstatus.FS ");
    put_dec((s >> 13) & 3);
    puts_(" sstatus.SD ");
    put_dec(s >> (sizeof(ulong) * 8 - 1));
    putc_('\n');
}

static void set_fs(ulong fs) {
    __asm__ volatile("csrc mstatus, %0" ::"r"(3ul << 13));
    __asm__ volatile("csrs mstatus, %0" ::"r"(fs << 13));
}

static void system_checks(void) {
    ulong v;
    /* fcsr, frm and fflags views. */
    __asm__ volatile("csrw fcsr, %0" ::"r"(0xfffful));
    __asm__ volatile("csrr %0, fcsr" : "=r"(v));
    puts_("fcsr after writing 0xffff: ");
    put_hex_n(v, 8);
    __asm__ volatile("csrr %0, frm" : "=r"(v));
    puts_(" frm ");
    put_hex_n(v, 2);
    __asm__ volatile("csrr %0, fflags" : "=r"(v));
    puts_(" fflags ");
    put_hex_n(v, 2);
    __asm__ volatile("csrw frm, %0" ::"r"(0x1ful));
    __asm__ volatile("csrwi fflags, 0x3");
    __asm__ volatile("csrr %0, fcsr" : "=r"(v));
    puts_(" then ");
    put_hex_n(v, 8);
    putc_('\n');
    /* Flags accrue across instructions until cleared. */
    __asm__ volatile("csrw fcsr, zero");
    {
        u64 one = 0x3ff0000000000000ull, zero = 0, three = 0x4008000000000000ull;
        __asm__ volatile("fld ft0, 0(%0)\n\tfld ft1, 0(%1)\n\tfld ft2, 0(%2)\n\t"
                         "fdiv.d ft3, ft0, ft1\n\tfdiv.d ft3, ft0, ft2" ::"r"(&one),
                         "r"(&zero), "r"(&three)
                         : "ft0", "ft1", "ft2", "ft3", "memory");
    }
    __asm__ volatile("csrr %0, fflags" : "=r"(v));
    puts_("accrued after 1/0, 1/3: ");
    put_hex_n(v, 2);
    putc_('\n');

    /* Reserved rounding modes: dynamic instructions trap, static and
       rm-less ones do not. */
    for (ulong frm = 4; frm < 8; frm++) {
        u32 fl;
        set_frm(frm);
        fadd_d_7(vd[2], vd[2], 0, &fl);
        report_trap(frm == 4 ? "fadd.d dyn, frm 4" : frm == 5 ? "fadd.d dyn, frm 5"
                    : frm == 6 ? "fadd.d dyn, frm 6" : "fadd.d dyn, frm 7");
        fadd_d_0(vd[2], vd[2], 0, &fl);
        fmin_s(vs[2], vs[3], 0, &fl);
        fcvt_d_s_7(vs[2], 0, 0, &fl);
        report_trap("fadd.d rne, fmin.s, fcvt.d.s dyn");
    }
    set_frm(0);
    /* Reserved static modes 5 and 6 (fadd.d ft0, ft0, ft0). */
    __asm__ volatile(".word 0x02005053\n\t.word 0x02006053" ::: "ft0");
    report_trap("fadd.d with rm 5 and 6");
    /* fmv.x.d / fmv.d.x exist on RV64 only: 0xe2000553 is fmv.x.d a0, ft0. */
#if !RV64
    __asm__ volatile(".word 0xe2000553" ::: "a0");
    report_trap("fmv.x.d on RV32");
#endif

    /* FS: Dirty after writes to f registers; Off makes every float
       instruction and fcsr access illegal. */
    set_fs(1);
    put_fs("FS initial");
    {
        u64 x = 0x3ff0000000000000ull;
        __asm__ volatile("fld ft0, 0(%0)" ::"r"(&x) : "ft0", "memory");
    }
    put_fs("after fld");
    set_fs(2);
    {
        u64 x;
        __asm__ volatile("fsd ft0, 0(%0)" ::"r"(&x) : "memory");
    }
    put_fs("clean, after fsd");
    __asm__ volatile("csrw fflags, zero");
    put_fs("clean, after fflags write");
    set_fs(0);
    put_fs("off");
    __asm__ volatile("fadd.s ft0, ft0, ft0" ::: "ft0");
    report_trap("fadd.s with FS off");
    __asm__ volatile("fmv.x.w a0, ft0" ::: "a0");
    report_trap("fmv.x.w with FS off");
    {
        u64 x = 0;
        __asm__ volatile("fld ft0, 0(%0)" ::"r"(&x) : "ft0", "memory");
        report_trap("fld with FS off");
        __asm__ volatile("fsw ft0, 0(%0)" ::"r"(&x) : "memory");
        report_trap("fsw with FS off");
        register ulong p __asm__("a0") = (ulong)&x;
        __asm__ volatile("c.fld fs0, 0(a0)" ::"r"(p) : "fs0", "memory");
        report_trap("c.fld with FS off");
    }
    __asm__ volatile("csrr a0, fcsr" ::: "a0");
    report_trap("csrr fcsr with FS off");
    __asm__ volatile("csrwi fflags, 1");
    report_trap("csrwi fflags with FS off");
    __asm__ volatile("csrr a0, frm" ::: "a0");
    report_trap("csrr frm with FS off");
    put_fs("still off");
    set_fs(3);
    put_fs("dirty");
}

/* Loads, stores and moves: raw bits in both directions, boxing by flw,
   compressed forms. */
static void moves(void) {
    static u64 mem[4];
    static const u64 m64[] = {0x0123456789abcdefull, 0xffffffff7fc00001ull,
                              0xffffffff80000000ull, 0x000000013f800000ull};
    puts_("moves:");
    for (unsigned i = 0; i < N(m64); i++) {
        u32 fl;
        u64 r, w;
        mem[0] = m64[i];
        mem[1] = 0;
        mem[2] = 0;
        /* flw boxes; fsw stores the low half whatever the boxing. */
        __asm__ volatile("flw ft0, 0(%0)\n\tfsd ft0, 8(%0)\n\tfld ft1, 0(%0)\n\t"
                         "fsw ft1, 16(%0)" ::"r"(mem)
                         : "ft0", "ft1", "memory");
        puts_("\n flw/fsd ");
        put_hex_n(mem[1], 16);
        puts_(" fld/fsw ");
        put_hex_n(mem[2], 16);
        r = fmv_x_w(m64[i], 0, 0, &fl);
        puts_(" fmv.x.w ");
        put_hex_n(r, 16);
        w = fmv_w_x(m64[i], 0, 0, &fl);
        puts_(" fmv.w.x ");
        put_hex_n(w, 16);
#if RV64
        puts_(" fmv.x.d ");
        put_hex_n(fmv_x_d(m64[i], 0, 0, &fl), 16);
        puts_(" fmv.d.x ");
        put_hex_n(fmv_d_x(m64[i], 0, 0, &fl), 16);
#endif
    }
    /* Compressed: c.fld/c.fsd, c.fldsp/c.fsdsp (and on RV32
       c.flw/c.fsw/c.flwsp/c.fswsp). */
    mem[0] = 0x400921fb54442d18ull;
    mem[1] = 0;
    mem[2] = 0;
    mem[3] = 0;
    register ulong p __asm__("a0") = (ulong)mem;
    __asm__ volatile("c.fld fs0, 0(a0)\n\tc.fsd fs0, 8(a0)\n\t"
                     "addi sp, sp, -16\n\tc.fsdsp fs0, 8(sp)\n\tc.fldsp fs1, 8(sp)\n\t"
                     "addi sp, sp, 16\n\tc.fsd fs1, 16(a0)" ::"r"(p)
                     : "fs0", "fs1", "memory");
    puts_("\n c.fld/c.fsd/c.fsdsp/c.fldsp ");
    put_hex_n(mem[1], 16);
    putc_(' ');
    put_hex_n(mem[2], 16);
#if !RV64
    mem[3] = 0;
    register ulong q __asm__("a0") = (ulong)mem;
    __asm__ volatile("c.flw fs0, 4(a0)\n\tc.fsw fs0, 24(a0)\n\t"
                     "addi sp, sp, -16\n\tc.fswsp fs0, 4(sp)\n\tc.flwsp fs1, 4(sp)\n\t"
                     "addi sp, sp, 16\n\tc.fsw fs1, 28(a0)\n\tfsd fs1, 16(a0)" ::"r"(q)
                     : "fs0", "fs1", "memory");
    puts_("\n c.flw/c.fsw/c.fswsp/c.flwsp ");
    put_hex_n(mem[3], 16);
    putc_(' ');
    put_hex_n(mem[2], 16);
#endif
    putc_('\n');
}

int main(ulong hartid) {
    (void)hartid;
    puts_("float\n");
    moves();
    RUN_ARITH(s, 1, vs, us);
    RUN_ARITH(d, 0, vd, ud);
    {
        static const fp_fn sd[] = FNS6(fcvt_s_d), ds[] = FNS6(fcvt_d_s);
        unary("fcvt.s.d", sd, 5, vd, N(vd), 1);
        unary("fcvt.s.d", sd, 5, ud, N(ud), 1);
        unary("fcvt.d.s", ds, 5, vs, N(vs), 0);
        unary("fcvt.d.s", ds, 5, us, N(us), 0);
    }
#if RV64
    {
        static const fp_fn ls[] = FNS6(fcvt_l_s), lus[] = FNS6(fcvt_lu_s);
        static const fp_fn ld[] = FNS6(fcvt_l_d), lud[] = FNS6(fcvt_lu_d);
        static const fp_fn sl[] = FNS6(fcvt_s_l), slu[] = FNS6(fcvt_s_lu);
        static const fp_fn dl[] = FNS6(fcvt_d_l), dlu[] = FNS6(fcvt_d_lu);
        unary("fcvt.l.s", ls, 5, vs, N(vs), 0);
        unary("fcvt.l.s", ls, 5, us, N(us), 0);
        unary("fcvt.lu.s", lus, 5, vs, N(vs), 0);
        unary("fcvt.lu.s", lus, 5, us, N(us), 0);
        unary("fcvt.l.d", ld, 5, vd, N(vd), 0);
        unary("fcvt.l.d", ld, 5, ud, N(ud), 0);
        unary("fcvt.lu.d", lud, 5, vd, N(vd), 0);
        unary("fcvt.lu.d", lud, 5, ud, N(ud), 0);
        unary("fcvt.s.l", sl, 5, ints, N(ints), 1);
        unary("fcvt.s.lu", slu, 5, ints, N(ints), 1);
        unary("fcvt.d.l", dl, 5, ints, N(ints), 0);
        unary("fcvt.d.lu", dlu, 5, ints, N(ints), 0);
    }
#endif
    system_checks();
    puts_("done\n");
    return 0;
}
