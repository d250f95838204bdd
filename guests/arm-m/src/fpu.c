/* fpu (Cortex-M4F, mps2-an386): the FPv4-SP single-precision unit. The
   coprocessor access check (a NOCP UsageFault while CPACR denies CP10/11),
   arithmetic (vadd, vsub, vmul, vdiv, vsqrt, fused and chained multiply-
   accumulate, vneg, vabs, vmov immediate), conversions (to and from
   integers with round-towards-zero and with the FPSCR rounding mode, fixed
   point, half precision in IEEE and alternative formats), compares and the
   NZCV they set, the FPSCR cumulative exception flags after 0/0, 1/0,
   overflow, underflow and inexact results, NaN propagation and the
   default-NaN mode, flush-to-zero, the four rounding modes, loads, stores
   and transfers, and lazy FP context stacking across an exception. Results
   are bit patterns in hex, each checked against the value IEEE 754 and the
   ARMv7-M rules give. */
#include "lib.h"

#define RN 0x00000000u
#define RP 0x00400000u
#define RM 0x00800000u
#define RZ 0x00c00000u
#define FZ_ (1u << 24)
#define DN (1u << 25)
#define AHP (1u << 26)
#define IOC 0x01u
#define DZC 0x02u
#define OFC 0x04u
#define UFC 0x08u
#define IXC 0x10u
#define IDC 0x80u

#define ONE 0x3f800000u
#define TWO 0x40000000u
#define HALF 0x3f000000u
#define THIRD 0x3eaaaaabu
#define MAXF 0x7f7fffffu
#define MINF 0x00800000u
#define DENORM1 0x00000001u
#define INF 0x7f800000u
#define NINF 0xff800000u
#define QNAN 0x7fc00000u
#define NZERO 0x80000000u

static inline void set_fpscr(u32 v) { __asm__ volatile("vmsr fpscr, %0" :: "r"(v) : "memory"); }
static inline u32 get_fpscr(void) { u32 v; __asm__ volatile("vmrs %0, fpscr" : "=r"(v) :: "memory"); return v; }

/* Run one instruction with FPSCR = mode: s14 = a, s15 = b, s13 = c on
   entry, result in s13. */
#define FOP(text, mode, a, b, c, fpscr) ({ u32 _r = (c), _f; \
    __asm__ volatile("vmsr fpscr, %[m]\n vmov s14, %[x]\n vmov s15, %[y]\n vmov s13, %[r]\n " text "\n vmov %[r], s13\n vmrs %[f], fpscr" \
                     : [r] "+r"(_r), [f] "=&r"(_f) : [m] "r"(mode), [x] "r"(a), [y] "r"(b) : "s13", "s14", "s15", "memory"); \
    fpscr = _f; _r; })

enum op {
    VADD, VSUB, VMUL, VDIV, VSQRT, VFMA, VFMS, VFNMA, VFNMS, VMLA, VMLS, VNMUL, VNEG, VABS,
    CVT_S32, CVT_U32, CVTR_S32, CVTR_U32, CVT_F_S32, CVT_F_U32, CVT_FIX_S32_16, CVT_F_FIX_U32_8,
    CVT_F_FIX_S16_8, CVTB_F16, CVTT_F16, CVTB_F32, CVTT_F32,
};

static const char *const op_names[] = {
    "vadd.f32", "vsub.f32", "vmul.f32", "vdiv.f32", "vsqrt.f32", "vfma.f32", "vfms.f32", "vfnma.f32",
    "vfnms.f32", "vmla.f32", "vmls.f32", "vnmul.f32", "vneg.f32", "vabs.f32",
    "vcvt.s32.f32", "vcvt.u32.f32", "vcvtr.s32.f32", "vcvtr.u32.f32", "vcvt.f32.s32", "vcvt.f32.u32",
    "vcvt.s32.f32 #16", "vcvt.f32.u32 #8", "vcvt.f32.s16 #8", "vcvtb.f16.f32", "vcvtt.f16.f32",
    "vcvtb.f32.f16", "vcvtt.f32.f16",
};

static u32 run(enum op op, u32 mode, u32 a, u32 b, u32 c, u32 *fpscr) {
    u32 f = 0, r = 0;
    switch (op) {
    case VADD: r = FOP("vadd.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VSUB: r = FOP("vsub.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VMUL: r = FOP("vmul.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VDIV: r = FOP("vdiv.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VSQRT: r = FOP("vsqrt.f32 s13, s14", mode, a, b, c, f); break;
    case VFMA: r = FOP("vfma.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VFMS: r = FOP("vfms.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VFNMA: r = FOP("vfnma.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VFNMS: r = FOP("vfnms.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VMLA: r = FOP("vmla.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VMLS: r = FOP("vmls.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VNMUL: r = FOP("vnmul.f32 s13, s14, s15", mode, a, b, c, f); break;
    case VNEG: r = FOP("vneg.f32 s13, s14", mode, a, b, c, f); break;
    case VABS: r = FOP("vabs.f32 s13, s14", mode, a, b, c, f); break;
    case CVT_S32: r = FOP("vcvt.s32.f32 s13, s14", mode, a, b, c, f); break;
    case CVT_U32: r = FOP("vcvt.u32.f32 s13, s14", mode, a, b, c, f); break;
    case CVTR_S32: r = FOP("vcvtr.s32.f32 s13, s14", mode, a, b, c, f); break;
    case CVTR_U32: r = FOP("vcvtr.u32.f32 s13, s14", mode, a, b, c, f); break;
    case CVT_F_S32: r = FOP("vcvt.f32.s32 s13, s14", mode, a, b, c, f); break;
    case CVT_F_U32: r = FOP("vcvt.f32.u32 s13, s14", mode, a, b, c, f); break;
    case CVT_FIX_S32_16: r = FOP("vmov s13, s14\n vcvt.s32.f32 s13, s13, #16", mode, a, b, c, f); break;
    case CVT_F_FIX_U32_8: r = FOP("vmov s13, s14\n vcvt.f32.u32 s13, s13, #8", mode, a, b, c, f); break;
    case CVT_F_FIX_S16_8: r = FOP("vmov s13, s14\n vcvt.f32.s16 s13, s13, #8", mode, a, b, c, f); break;
    case CVTB_F16: r = FOP("vcvtb.f16.f32 s13, s14", mode, a, b, c, f); break;
    case CVTT_F16: r = FOP("vcvtt.f16.f32 s13, s14", mode, a, b, c, f); break;
    case CVTB_F32: r = FOP("vcvtb.f32.f16 s13, s14", mode, a, b, c, f); break;
    case CVTT_F32: r = FOP("vcvtt.f32.f16 s13, s14", mode, a, b, c, f); break;
    }
    *fpscr = f;
    return r;
}

struct fcase {
    enum op op;
    u32 mode, a, b, c, want, want_fpscr;
};

/* 1 + 2^-23 and 1 - 2^-24: their exact product is 1 + 2^-24 - 2^-47. */
#define UP1 0x3f800001u
#define DN1 0x3f7fffffu

static const struct fcase cases[] = {
    /* Arithmetic, exact and rounded in each mode. */
    {VADD, RN, ONE, TWO, 0, 0x40400000, 0},
    {VADD, RN, ONE, 0x33800000, 0, ONE, IXC},        /* 1 + 2^-24: a tie, to even */
    {VADD, RP, ONE, 0x33800000, 0, 0x3f800001, IXC},
    {VADD, RM, ONE, 0x33800000, 0, ONE, IXC},
    {VADD, RZ, ONE, 0x33800000, 0, ONE, IXC},
    {VADD, RN, ONE, 0x33c00000, 0, 0x3f800001, IXC}, /* 1 + 1.5 * 2^-24 */
    {VADD, RN, 0xbf800000, 0xb3800000, 0, 0xbf800000, IXC},
    {VADD, RM, 0xbf800000, 0xb3800000, 0, 0xbf800001, IXC},
    {VADD, RP, 0xbf800000, 0xb3800000, 0, 0xbf800000, IXC},
    {VSUB, RN, ONE, ONE, 0, 0, 0},
    {VSUB, RM, ONE, ONE, 0, NZERO, 0},               /* x - x is -0 rounding down */
    {VADD, RN, NZERO, NZERO, 0, NZERO, 0},
    {VADD, RN, INF, NINF, 0, QNAN, IOC},
    {VSUB, RN, INF, INF, 0, QNAN, IOC},
    {VMUL, RN, 0x40400000, 0xc0800000, 0, 0xc1400000, 0},
    {VMUL, RN, MAXF, TWO, 0, INF, OFC | IXC},
    {VMUL, RZ, MAXF, TWO, 0, MAXF, OFC | IXC},
    {VMUL, RM, MAXF, TWO, 0, MAXF, OFC | IXC},
    {VMUL, RP, MAXF, 0xc0000000, 0, 0xff7fffff, OFC | IXC},
    {VMUL, RN, MINF, HALF, 0, 0x00400000, 0},       /* tiny but exact: no UFC */
    {VMUL, RN, MINF, THIRD, 0, 0x002aaaab, UFC | IXC},
    {VMUL, RN, INF, 0, 0, QNAN, IOC},
    {VMUL, RN, NZERO, 0x40400000, 0, NZERO, 0},
    {VDIV, RN, ONE, 0x40400000, 0, THIRD, IXC},
    {VDIV, RZ, ONE, 0x40400000, 0, 0x3eaaaaaa, IXC},
    {VDIV, RM, 0xbf800000, 0x40400000, 0, 0xbeaaaaab, IXC},
    {VDIV, RN, ONE, 0, 0, INF, DZC},
    {VDIV, RN, 0xbf800000, 0, 0, NINF, DZC},
    {VDIV, RN, ONE, NZERO, 0, NINF, DZC},
    {VDIV, RN, 0, 0, 0, QNAN, IOC},
    {VDIV, RN, INF, INF, 0, QNAN, IOC},
    {VDIV, RN, ONE, INF, 0, 0, 0},
    {VDIV, RN, 0x41200000, 0x40000000, 0, 0x40a00000, 0},
    {VSQRT, RN, TWO, 0, 0, 0x3fb504f3, IXC},
    {VSQRT, RP, TWO, 0, 0, 0x3fb504f4, IXC},
    {VSQRT, RN, 0x40800000, 0, 0, TWO, 0},
    {VSQRT, RN, 0xbf800000, 0, 0, QNAN, IOC},
    {VSQRT, RN, NZERO, 0, 0, NZERO, 0},
    {VSQRT, RN, INF, 0, 0, INF, 0},
    /* Fused multiply-accumulate rounds once; VMLA/VMLS round twice. */
    {VFMA, RN, UP1, DN1, 0xbf800000, 0x337ffffe, 0}, /* 2^-24 - 2^-47, exact */
    {VMLA, RN, UP1, DN1, 0xbf800000, 0, IXC},
    {VFMS, RN, UP1, DN1, ONE, 0xb37ffffe, 0},
    {VMLS, RN, UP1, DN1, ONE, 0, IXC},
    {VFNMA, RN, UP1, DN1, ONE, 0xc0000000, IXC},
    {VFNMS, RN, UP1, DN1, ONE, 0x337ffffe, 0},
    {VFMA, RN, INF, 0, ONE, QNAN, IOC},
    {VFMA, RN, TWO, 0x40400000, ONE, 0x40e00000, 0},
    {VNMUL, RN, TWO, 0x40400000, 0, 0xc0c00000, 0},
    {VNEG, RN, 0x7f812345, 0, 0, 0xff812345, 0},     /* sign only: no NaN processing */
    {VABS, RN, 0xff812345, 0, 0, 0x7f812345, 0},
    {VNEG, RN, 0, 0, 0, NZERO, 0},
    /* Float to integer: VCVT rounds towards zero, VCVTR by FPSCR. */
    {CVT_S32, RN, 0x40200000, 0, 0, 2, IXC},
    {CVT_S32, RN, 0xc0200000, 0, 0, 0xfffffffe, IXC},
    {CVT_S32, RN, 0x501502f9, 0, 0, 0x7fffffff, IOC},
    {CVT_S32, RN, 0xd01502f9, 0, 0, 0x80000000, IOC},
    {CVT_S32, RN, 0xcf000000, 0, 0, 0x80000000, 0},  /* -2^31 exactly */
    {CVT_S32, RN, QNAN, 0, 0, 0, IOC},
    {CVT_S32, RN, NINF, 0, 0, 0x80000000, IOC},
    {CVT_S32, RN, 0xbf000000, 0, 0, 0, IXC},
    {CVT_U32, RN, 0xbf800000, 0, 0, 0, IOC},
    {CVT_U32, RN, 0xbf000000, 0, 0, 0, IXC},
    {CVT_U32, RN, 0x4f800000, 0, 0, 0xffffffff, IOC},
    {CVT_U32, RN, 0x4f32d05e, 0, 0, 3000000000u, 0},
    {CVTR_S32, RN, 0x40200000, 0, 0, 2, IXC},
    {CVTR_S32, RN, 0x40600000, 0, 0, 4, IXC},
    {CVTR_S32, RN, 0xc0200000, 0, 0, 0xfffffffe, IXC},
    {CVTR_S32, RN, 0x3fc00000, 0, 0, 2, IXC},
    {CVTR_S32, RP, 0x40200000, 0, 0, 3, IXC},
    {CVTR_S32, RM, 0xc0200000, 0, 0, 0xfffffffd, IXC},
    {CVTR_S32, RZ, 0xc0200000, 0, 0, 0xfffffffe, IXC},
    {CVTR_S32, RN, 0xbf000000, 0, 0, 0, IXC},
    {CVTR_U32, RP, 0x3f000000, 0, 0, 1, IXC},
    {CVTR_U32, RN, 0xbf000000, 0, 0, 0, IXC},        /* -0.5 rounds to -0: in range */
    {CVTR_U32, RN, 0xbf400000, 0, 0, 0, IOC},        /* -0.75 rounds to -1 */
    /* Integer to float. */
    {CVT_F_S32, RN, 0x7fffffff, 0, 0, 0x4f000000, IXC},
    {CVT_F_S32, RN, 16777217, 0, 0, 0x4b800000, IXC},
    {CVT_F_S32, RP, 16777217, 0, 0, 0x4b800001, IXC},
    {CVT_F_S32, RN, 0xffffffff, 0, 0, 0xbf800000, 0},
    {CVT_F_S32, RN, 0x80000000, 0, 0, 0xcf000000, 0},
    {CVT_F_U32, RN, 0xffffffff, 0, 0, 0x4f800000, IXC},
    {CVT_F_U32, RZ, 0xffffffff, 0, 0, 0x4f7fffff, IXC},
    {CVT_F_U32, RN, 0x80000000, 0, 0, 0x4f000000, 0},
    /* Fixed point. */
    {CVT_FIX_S32_16, RN, 0x3fc00000, 0, 0, 0x00018000, 0},
    {CVT_FIX_S32_16, RN, 0xbfa00000, 0, 0, 0xfffec000, 0},
    {CVT_FIX_S32_16, RN, 0x47000000, 0, 0, 0x7fffffff, IOC}, /* 32768.0 */
    {CVT_F_FIX_U32_8, RN, 0x00000180, 0, 0, 0x3fc00000, 0},
    {CVT_F_FIX_S16_8, RN, 0x1234ff80, 0, 0, 0xbf000000, 0},
    /* Half precision: only one half of the destination is written. */
    {CVTB_F16, RN, ONE, 0, 0xaaaaaaaa, 0xaaaa3c00, 0},
    {CVTT_F16, RN, 0xc0000000, 0, 0xaaaaaaaa, 0xc000aaaa, 0},
    {CVTB_F16, RN, 0x477ff000, 0, 0, 0x00007c00, OFC | IXC}, /* 65520: rounds up to 2^16 */
    {CVTB_F16, RN | AHP, 0x477ff000, 0, 0, 0x00007c00, IXC},
    {CVTB_F16, RN, 0x33000000, 0, 0, 0x00000000, UFC | IXC}, /* 2^-25: a tie, to zero */
    {CVTB_F16, RN, 0x7fc12345, 0, 0, 0x00007e09, 0},
    {CVTB_F16, RN | AHP, 0x7fc12345, 0, 0, 0x00000000, IOC},
    {CVTB_F32, RN, 0x55557bff, 0, 0, 0x477fe000, 0},
    {CVTT_F32, RN, 0x80015555, 0, 0, 0xb3800000, 0},
    {CVTB_F32, RN, 0x00007c00, 0, 0, INF, 0},
    {CVTB_F32, RN | AHP, 0x00007c00, 0, 0, 0x47800000, 0},
    /* NaNs: an SNaN operand wins over a QNaN, then the first operand. */
    {VADD, RN, 0x7fc12345, ONE, 0, 0x7fc12345, 0},
    {VADD, RN, 0x7f812345, ONE, 0, 0x7fc12345, IOC},
    {VADD, RN, 0x7fc00001, 0x7f800002, 0, 0x7fc00002, IOC},
    {VADD, RN, 0xffc00001, 0x7fc00002, 0, 0xffc00001, 0},
    {VMUL, RN, ONE, 0xffc0beef, 0, 0xffc0beef, 0},
    {VSQRT, RN, 0x7f800005, 0, 0, 0x7fc00005, IOC},
    {VADD, RN | DN, 0x7fc12345, ONE, 0, QNAN, 0},
    {VADD, RN | DN, 0x7f812345, ONE, 0, QNAN, IOC},
    {VMUL, RN | DN, ONE, 0xffc0beef, 0, QNAN, 0},
    /* Flush to zero: denormal inputs read as zero (IDC), tiny results
       become zero (UFC, no IXC). */
    {VADD, RN, DENORM1, 0, 0, DENORM1, 0},
    {VADD, RN | FZ_, DENORM1, 0, 0, 0, IDC},
    {VADD, RN | FZ_, 0x80000001, NZERO, 0, NZERO, IDC},
    {VMUL, RN | FZ_, MINF, HALF, 0, 0, UFC},
    {VMUL, RN | FZ_, MINF, 0xbf000000, 0, NZERO, UFC},
    {VMUL, RN | FZ_, MINF, ONE, 0, MINF, 0},
    {VADD, RN | FZ_, 0x00400000, MINF, 0, MINF, IDC},
    {VMUL, RN, 0x00400000, 0x4b000000, 0, 0x0b800000, 0}, /* 2^-127 (denormal) times 2^23 */
};

static const char *const rmode_names[] = {"RN", "RP", "RM", "RZ"};

static void put_mode(u32 mode) {
    puts_(rmode_names[(mode >> 22) & 3]);
    if (mode & FZ_) {
        puts_("+FZ");
    }
    if (mode & DN) {
        puts_("+DN");
    }
    if (mode & AHP) {
        puts_("+AHP");
    }
}

static int takes_acc(enum op op) {
    return op == VFMA || op == VFMS || op == VFNMA || op == VFNMS || op == VMLA || op == VMLS ||
           op == CVTB_F16 || op == CVTT_F16;
}

static int takes_b(enum op op) {
    return op <= VNMUL && op != VSQRT;
}

static void test_cases(void) {
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fcase *t = &cases[i];
        u32 fpscr;
        u32 r = run(t->op, t->mode, t->a, t->b, t->c, &fpscr);
        puts_(op_names[t->op]);
        putc_(' ');
        put_mode(t->mode);
        putc_(' ');
        put_hex(t->a);
        if (takes_b(t->op)) {
            putc_(' ');
            put_hex(t->b);
        }
        if (takes_acc(t->op)) {
            puts_(" acc ");
            put_hex(t->c);
        }
        puts_(" = ");
        put_hex(r);
        puts_(" fpscr ");
        put_hex(fpscr);
        putc_('\n');
        CHECK_EQ(r, t->want);
        CHECK_EQ(fpscr, t->mode | t->want_fpscr);
    }
}

/* ------------------------------------------------------------ compares */

static u32 cmp(int e, u32 a, u32 b, u32 *fpscr) {
    u32 apsr, f;
    if (e) {
        __asm__ volatile("vmsr fpscr, %[z]\n vmov s14, %[x]\n vmov s15, %[y]\n vcmpe.f32 s14, s15\n vmrs APSR_nzcv, fpscr\n mrs %[p], apsr\n vmrs %[f], fpscr"
                         : [p] "=r"(apsr), [f] "=r"(f) : [x] "r"(a), [y] "r"(b), [z] "r"(0) : "s14", "s15", "cc");
    } else {
        __asm__ volatile("vmsr fpscr, %[z]\n vmov s14, %[x]\n vmov s15, %[y]\n vcmp.f32 s14, s15\n vmrs APSR_nzcv, fpscr\n mrs %[p], apsr\n vmrs %[f], fpscr"
                         : [p] "=r"(apsr), [f] "=r"(f) : [x] "r"(a), [y] "r"(b), [z] "r"(0) : "s14", "s15", "cc");
    }
    *fpscr = f;
    return apsr & 0xf0000000;
}

static void test_compare(void) {
    static const struct { u32 a, b, nzcv, ioc_cmp, ioc_cmpe; } c[] = {
        {ONE, TWO, 0x80000000, 0, 0},
        {TWO, ONE, 0x20000000, 0, 0},
        {ONE, ONE, 0x60000000, 0, 0},
        {0, NZERO, 0x60000000, 0, 0},
        {INF, INF, 0x60000000, 0, 0},
        {NINF, 0xff7fffff, 0x80000000, 0, 0},
        {QNAN, ONE, 0x30000000, 0, IOC},
        {ONE, 0x7f800001, 0x30000000, IOC, IOC},
        {DENORM1, 0, 0x20000000, 0, 0},
    };
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        u32 f1, f2;
        u32 n1 = cmp(0, c[i].a, c[i].b, &f1);
        u32 n2 = cmp(1, c[i].a, c[i].b, &f2);
        puts_("vcmp/vcmpe ");
        put_hex(c[i].a);
        putc_(' ');
        put_hex(c[i].b);
        puts_(" = ");
        put_nzcvq(n1);
        puts_(" fpscr ");
        put_hex(f1);
        putc_(' ');
        put_hex(f2);
        putc_('\n');
        CHECK_EQ(n1, c[i].nzcv);
        CHECK_EQ(n2, c[i].nzcv);
        CHECK_EQ(f1, c[i].nzcv | c[i].ioc_cmp);
        CHECK_EQ(f2, c[i].nzcv | c[i].ioc_cmpe);
    }
    /* Against #0.0, and with flush-to-zero. */
    u32 apsr, f;
    __asm__ volatile("vmsr fpscr, %[m]\n vmov s14, %[x]\n vcmp.f32 s14, #0\n vmrs APSR_nzcv, fpscr\n mrs %[p], apsr\n vmrs %[f], fpscr"
                     : [p] "=r"(apsr), [f] "=r"(f) : [x] "r"(0x80000001), [m] "r"(FZ_) : "s14", "cc");
    puts_("vcmp FZ -denormal #0 = ");
    put_nzcvq(apsr);
    puts_(" fpscr ");
    put_hex(f);
    putc_('\n');
    CHECK_EQ(apsr & 0xf0000000, 0x60000000);
    CHECK_EQ(f, FZ_ | 0x60000000 | IDC);
}

/* ------------------------------------------------------------ FPSCR */

static void test_fpscr(void) {
    set_fpscr(0xffffffff);
    u32 v = get_fpscr();
    puts_("fpscr all ones reads ");
    put_hex(v);
    putc_('\n');
    CHECK_EQ(v, 0xf7c0009f);
    /* The exception flags are cumulative. */
    set_fpscr(0);
    static const struct { enum op op; u32 a, b; const char *what; } seq[] = {
        {VDIV, 0, 0, "0/0"}, {VDIV, ONE, 0, "1/0"}, {VMUL, MAXF, MAXF, "overflow"},
        {VMUL, MINF, MINF, "underflow"}, {VDIV, ONE, 0x40400000, "1/3"},
    };
    static const u32 acc[] = {IOC, IOC | DZC, IOC | DZC | OFC | IXC, IOC | DZC | OFC | UFC | IXC,
                              IOC | DZC | OFC | UFC | IXC};
    for (int i = 0; i < 5; i++) {
        u32 r, f;
        u32 cur = get_fpscr();
        if (seq[i].op == VDIV) {
            r = FOP("vdiv.f32 s13, s14, s15", cur, seq[i].a, seq[i].b, 0, f);
        } else {
            r = FOP("vmul.f32 s13, s14, s15", cur, seq[i].a, seq[i].b, 0, f);
        }
        puts_("cumulative after ");
        puts_(seq[i].what);
        puts_(" = ");
        put_hex(r);
        puts_(" fpscr ");
        put_hex(f);
        putc_('\n');
        CHECK_EQ(f, acc[i]);
    }
    set_fpscr(0);
}

/* ------------------------------------------------------------ moves */

static void test_moves(void) {
    u32 a, b, c;
    __asm__ volatile("vmov.f32 s0, #1.5\n vmov.f32 s1, #-0.125\n vmov.f32 s2, #31.0\n vmov %0, s0\n vmov %1, s1\n vmov %2, s2"
                     : "=r"(a), "=r"(b), "=r"(c) :: "s0", "s1", "s2");
    puts_("vmov #1.5 #-0.125 #31 = ");
    put_hex(a);
    putc_(' ');
    put_hex(b);
    putc_(' ');
    put_hex(c);
    putc_('\n');
    CHECK_EQ(a, 0x3fc00000);
    CHECK_EQ(b, 0xbe000000);
    CHECK_EQ(c, 0x41f80000);
    /* Two core registers at once, and the memory forms. */
    static u32 mem[8] __attribute__((aligned(8))) = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
    u32 lo, hi, base = (u32)&mem[0];
    __asm__ volatile("vmov s4, s5, %2, %3\n vmov s6, s4\n vmov s4, s5\n vmov s5, s6\n vmov %0, %1, s4, s5" : "=r"(lo), "=r"(hi) : "r"(0xaaaa), "r"(0xbbbb) : "s4", "s5", "s6");
    CHECK_EQ(lo, 0xbbbb);
    CHECK_EQ(hi, 0xaaaa);
    __asm__ volatile("vldmia %0!, {s8-s11}\n vmov s12, s8\n vstr s12, [%0, #4]\n vldr s13, [%0, #-4]\n vmov %1, s13"
                     : "+r"(base), "=r"(lo) :: "s8", "s9", "s10", "s11", "s12", "s13", "memory");
    CHECK_EQ(base, (u32)&mem[4]);
    CHECK_EQ(mem[5], 0x11111111);
    CHECK_EQ(lo, 0x44444444);
    u32 top = (u32)&mem[8];
    __asm__ volatile("vmov s8, %[a]\n vmov s9, %[b]\n vpush {s8-s9}\n vpop {s10-s11}\n vmov %[h], s11\n vstmdb %[t]!, {s10-s11}"
                     : [h] "=&r"(hi), [t] "+r"(top) : [a] "r"(0x12345678), [b] "r"(0x9abcdef0) : "s8", "s9", "s10", "s11", "memory");
    CHECK_EQ(top, (u32)&mem[6]);
    CHECK_EQ(hi, 0x9abcdef0);
    CHECK_EQ(mem[6], 0x12345678);
    CHECK_EQ(mem[7], 0x9abcdef0);
    puts_("vmov/vldm/vstm/vldr/vstr/vpush/vpop memory = ");
    for (int i = 0; i < 8; i++) {
        put_hex(mem[i]);
        putc_(i == 7 ? '\n' : ' ');
    }
    /* FPSCR flags to APSR. */
    u32 apsr;
    __asm__ volatile("vmsr fpscr, %1\n vmrs APSR_nzcv, fpscr\n mrs %0, apsr\n vmsr fpscr, %2" : "=r"(apsr) : "r"(0xa0000000), "r"(0) : "cc");
    CHECK_EQ(apsr & 0xf0000000, 0xa0000000);
}

/* ------------------------------------------------------------ exceptions */

/* The FPCCR bits ARMv7-M defines (QEMU also sets v8-M's UFRDY, bit 10). */
#define FPCCR_V7M 0xc000017bu

static volatile u32 nfaults, f_cfsr, h_exc_return, h_fpccr_entry, h_fpccr_after, h_fpscr, h_stacked_s0, h_stacked_fpscr;

#define HANDLER_STUB(name, c_func) \
    __asm__(".text\n .globl " #name "\n .type " #name ", %function\n .thumb_func\n" #name ":\n" \
            " tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n mov r1, lr\n b " #c_func "\n")

HANDLER_STUB(UsageFault_Handler, usage_c);
HANDLER_STUB(SVC_Handler, svc_c);

/* A NOCP fault: record it, give the thread its FPU back, skip the
   instruction. */
void usage_c(struct frame *f, u32 exc_return) {
    (void)exc_return;
    nfaults++;
    f_cfsr = CFSR;
    CFSR = f_cfsr;
    CPACR |= 0xfu << 20;
    f->pc += 4;
}

/* The SVC handler uses the FP registers: the first use stores the thread's
   s0-s15 and FPSCR into the space reserved in its frame (lazy stacking),
   and starts from the default FPSCR (FPDSCR). */
void svc_c(u32 *f, u32 exc_return) {
    h_exc_return = exc_return;
    h_fpccr_entry = FPCCR & FPCCR_V7M;
    u32 fpscr;
    __asm__ volatile("vmrs %0, fpscr\n vmov s0, %1\n vmov s1, %1\n vmov s15, %1\n vmsr fpscr, %2"
                     : "=&r"(fpscr) : "r"(0xdeadbeef), "r"(RZ | DZC) : "s0", "s1", "s15", "memory");
    h_fpscr = fpscr;
    h_fpccr_after = FPCCR & FPCCR_V7M;
    h_stacked_s0 = f[8];
    h_stacked_fpscr = f[8 + 16];
}

static void test_exceptions(void) {
    SHCSR |= 1u << 18; /* UsageFault */
    puts_("cpacr ");
    put_hex(CPACR);
    puts_(" fpccr ");
    put_hex(FPCCR & FPCCR_V7M);
    puts_("\n");
    CHECK_EQ(CPACR, 0x00f00000);
    CHECK_EQ(FPCCR & 0xc0000000, 0xc0000000); /* ASPEN, LSPEN */

    CPACR &= ~(0xfu << 20);
    barrier();
    u32 r = 0x600d;
    __asm__ volatile("vmov s0, %0\n vadd.f32 s0, s0, s0" :: "r"(r) : "s0");
    puts_("fp instruction with CPACR clear: faults ");
    put_dec(nfaults);
    puts_(" CFSR ");
    put_hex(f_cfsr);
    puts_(" cpacr now ");
    put_hex(CPACR);
    puts_("\n");
    CHECK_EQ(nfaults, 1); /* the VMOV; the handler re-enabled the FPU */
    CHECK_EQ(f_cfsr, 0x00080000); /* NOCP */

    /* Lazy stacking across SVC. */
    u32 s0, s1, s15, fpscr, ctl_before, ctl_after;
    __asm__ volatile("vmov s0, %[a]\n vmov s1, %[b]\n vmov s15, %[c]\n vmsr fpscr, %[m]\n mrs %[cb], control\n"
                     "svc #0\n"
                     "mrs %[ca], control\n vmov %[r0], s0\n vmov %[r1], s1\n vmov %[r15], s15\n vmrs %[f], fpscr"
                     : [r0] "=r"(s0), [r1] "=r"(s1), [r15] "=r"(s15), [f] "=r"(fpscr), [cb] "=&r"(ctl_before), [ca] "=r"(ctl_after)
                     : [a] "r"(0x3f800000), [b] "r"(0x40000000), [c] "r"(0x40400000), [m] "r"(RM | IXC)
                     : "s0", "s1", "s15", "memory");
    puts_("svc with FP context: control ");
    put_hex(ctl_before);
    puts_(" exc_return ");
    put_hex(h_exc_return);
    puts_(" fpccr at entry ");
    put_hex(h_fpccr_entry);
    puts_(" after first use ");
    put_hex(h_fpccr_after);
    puts_("\n");
    puts_("  handler fpscr ");
    put_hex(h_fpscr);
    puts_(" stacked s0 ");
    put_hex(h_stacked_s0);
    puts_(" stacked fpscr ");
    put_hex(h_stacked_fpscr);
    puts_("\n  thread after: s0 ");
    put_hex(s0);
    puts_(" s1 ");
    put_hex(s1);
    puts_(" s15 ");
    put_hex(s15);
    puts_(" fpscr ");
    put_hex(fpscr);
    puts_(" control ");
    put_hex(ctl_after);
    puts_("\n");
    CHECK_EQ(ctl_before & 4, 4); /* FPCA */
    CHECK_EQ(h_exc_return, 0xffffffe9);
    CHECK_EQ(h_fpccr_entry & 1, 1); /* LSPACT */
    CHECK_EQ(h_fpccr_after & 1, 0);
    CHECK_EQ(h_fpscr, 0); /* FPDSCR */
    CHECK_EQ(h_stacked_s0, 0x3f800000);
    CHECK_EQ(h_stacked_fpscr, RM | IXC);
    CHECK_EQ(s0, 0x3f800000);
    CHECK_EQ(s1, 0x40000000);
    CHECK_EQ(s15, 0x40400000);
    CHECK_EQ(fpscr, RM | IXC);
    set_fpscr(0);
}

int main(void) {
    puts_("fpu on ");
    put_hex(REG32(0xE000ED00));
    u32 mvfr0 = REG32(0xE000EF40), mvfr1 = REG32(0xE000EF44);
    puts_(" mvfr0 ");
    put_hex(mvfr0);
    puts_(" mvfr1 ");
    put_hex(mvfr1);
    puts_("\n");
    test_exceptions();
    test_cases();
    test_compare();
    test_fpscr();
    test_moves();
    finish("fpu");
}
