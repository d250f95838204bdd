/* Integer instructions of RV32I/RV64I and M, with their edge cases. The
   inline assembly pins the exact instruction; volatile inputs keep the
   compiler from folding anything. */
#include "lib.h"

#define OP(insn, a, b) ({ ulong _r, _a = (a), _b = (b); __asm__ volatile(insn " %0, %1, %2" : "=r"(_r) : "r"(_a), "r"(_b)); _r; })
#define OPI(insn, a, imm) ({ ulong _r, _a = (a); __asm__ volatile(insn " %0, %1, %2" : "=r"(_r) : "r"(_a), "i"(imm)); _r; })

#define XLEN (sizeof(long) * 8)
#define SMIN ((ulong)1 << (XLEN - 1))
#define ONES (~(ulong)0)

static void base(void) {
    puts_("base integer ops\n");
    CHECK_EQ(OP("add", 1, ONES), 0);
    CHECK_EQ(OP("sub", 0, 1), ONES);
    CHECK_EQ(OP("sll", 1, XLEN - 1), SMIN);
    CHECK_EQ(OP("sll", 1, XLEN), 1); /* only the low log2(XLEN) bits count */
    CHECK_EQ(OP("srl", SMIN, XLEN - 1), 1);
    CHECK_EQ(OP("sra", SMIN, XLEN - 1), ONES);
    CHECK_EQ(OP("sra", SMIN, 0), SMIN);
    CHECK_EQ(OPI("slli", 1, 0), 1);
    CHECK_EQ(OPI("srai", SMIN, XLEN - 1), ONES);
    CHECK_EQ(OPI("srli", ONES, XLEN - 1), 1);
    CHECK_EQ(OP("slt", ONES, 0), 1);
    CHECK_EQ(OP("sltu", ONES, 0), 0);
    CHECK_EQ(OPI("sltiu", 0, -1), 1); /* the immediate is sign-extended, then unsigned */
    CHECK_EQ(OPI("slti", SMIN, 0), 1);
    CHECK_EQ(OPI("xori", 0x5a, -1), ~(ulong)0x5a);
    CHECK_EQ(OPI("andi", ONES, -16), ONES << 4);
    CHECK_EQ(OPI("ori", 0, 0x7ff), 0x7ff);
    ulong lui;
    __asm__ volatile("lui %0, 0x80000" : "=r"(lui));
    CHECK_EQ(lui, (ulong)(slong)(int)0x80000000);
}

static void memory(void) {
    static volatile unsigned char buf[16] __attribute__((aligned(8)));
    puts_("loads and stores\n");
    for (int i = 0; i < 16; i++) {
        buf[i] = (unsigned char)(0xf0 + i);
    }
    CHECK_EQ((ulong)*(volatile signed char *)&buf[0], (ulong)(slong)(signed char)0xf0);
    CHECK_EQ((ulong)*(volatile unsigned char *)&buf[1], 0xf1);
    CHECK_EQ((ulong)*(volatile short *)&buf[2], (ulong)(slong)(short)0xf3f2);
    CHECK_EQ((ulong)*(volatile unsigned short *)&buf[2], 0xf3f2);
    CHECK_EQ((ulong)*(volatile int *)&buf[4], (ulong)(slong)(int)0xf7f6f5f4);
    /* Misaligned accesses work on QEMU's virt, and so here. */
    CHECK_EQ(*(volatile unsigned short *)&buf[1], 0xf2f1);
    CHECK_EQ(*(volatile u32 *)&buf[3], 0xf6f5f4f3);
    *(volatile u32 *)&buf[5] = 0x11223344;
    CHECK_EQ(buf[5], 0x44);
    CHECK_EQ(buf[8], 0x11);
#if __riscv_xlen == 64
    CHECK_EQ(*(volatile unsigned int *)&buf[8], 0xfbfaf911u);
    CHECK_EQ(*(volatile u64 *)&buf[8], 0xfffefdfcfbfaf911ull);
#endif
}

#if __riscv_xlen == 64
static void words(void) {
    puts_("32-bit operations of RV64\n");
    CHECK_EQ(OP("addw", 0x7fffffff, 1), 0xffffffff80000000ul);
    CHECK_EQ(OP("subw", 0, 1), ONES);
    CHECK_EQ(OP("sllw", 1, 31), 0xffffffff80000000ul);
    CHECK_EQ(OP("sllw", 1, 32), 1);
    CHECK_EQ(OP("srlw", 0xffffffff80000000ul, 31), 1);
    CHECK_EQ(OP("sraw", 0x80000000ul, 31), ONES);
    CHECK_EQ(OPI("addiw", 0xffffffffful, 1), 0);
    CHECK_EQ(OPI("slliw", 1, 31), 0xffffffff80000000ul);
    CHECK_EQ(OPI("srliw", 0xfffffffffffffffful, 0), ONES);
    CHECK_EQ(OPI("sraiw", 0x80000000ul, 0), 0xffffffff80000000ul);
    CHECK_EQ(OP("mulw", 0x10000, 0x10000), 0);
    CHECK_EQ(OP("divw", 0x80000000ul, ONES), 0xffffffff80000000ul);
    CHECK_EQ(OP("divuw", 7, 0), ONES);
    CHECK_EQ(OP("remw", 0x80000000ul, ONES), 0);
    CHECK_EQ(OP("remuw", 0xffffffff00000007ul, 0), 7);
}
#endif

static void muldiv(void) {
    puts_("multiply and divide\n");
    CHECK_EQ(OP("mul", ONES, ONES), 1);
    CHECK_EQ(OP("mulh", ONES, ONES), 0);
    CHECK_EQ(OP("mulhu", ONES, ONES), ONES - 1);
    CHECK_EQ(OP("mulhsu", ONES, ONES), ONES);
    CHECK_EQ(OP("mulh", SMIN, SMIN), SMIN >> 1);
    CHECK_EQ(OP("div", 7, 0), ONES);
    CHECK_EQ(OP("divu", 7, 0), ONES);
    CHECK_EQ(OP("rem", 7, 0), 7);
    CHECK_EQ(OP("remu", 7, 0), 7);
    CHECK_EQ(OP("div", SMIN, ONES), SMIN);
    CHECK_EQ(OP("rem", SMIN, ONES), 0);
    CHECK_EQ(OP("div", (ulong)-7, 2), (ulong)-3);
    CHECK_EQ(OP("rem", (ulong)-7, 2), (ulong)-1);
}

int main(ulong hartid) {
    (void)hartid;
    base();
    memory();
#if __riscv_xlen == 64
    words();
#endif
    muldiv();
    puts_(failures ? "alu: FAILED\n" : "alu: all passed\n");
    return 0;
}
