/* Zba, Zbb, Zbs and Zicond: every instruction on edge operands, each
   result printed (QEMU's output is the reference) and the ones whose
   answer is plain arithmetic checked. Zicond goes through `.insn` (the
   toolchain predates it). */
#include "lib.h"

#define OP(insn, a, b) ({ ulong _r, _a = (a), _b = (b); __asm__ volatile(insn " %0, %1, %2" : "=r"(_r) : "r"(_a), "r"(_b)); _r; })
#define OPI(insn, a, imm) ({ ulong _r, _a = (a); __asm__ volatile(insn " %0, %1, %2" : "=r"(_r) : "r"(_a), "i"(imm)); _r; })
#define UN(insn, a) ({ ulong _r, _a = (a); __asm__ volatile(insn " %0, %1" : "=r"(_r) : "r"(_a)); _r; })
/* czero.eqz / czero.nez: OP, funct3 5 / 7, funct7 7. */
#define CZERO(f3, a, b) ({ ulong _r, _a = (a), _b = (b); __asm__ volatile(".insn r 0x33, " #f3 ", 7, %0, %1, %2" : "=r"(_r) : "r"(_a), "r"(_b)); _r; })

#define XLEN (sizeof(long) * 8)
#define SMIN ((ulong)1 << (XLEN - 1))
#define ONES (~(ulong)0)

static const ulong values[] = {0, 1, 0x80, 0x7fff, 0x8000, ONES, SMIN, SMIN - 1, (ulong)0x0123456789abcdefULL, 0x00ff00f0};
#define N (sizeof(values) / sizeof(values[0]))

static void show(const char *name, ulong v) {
    puts_(name);
    puts_(" ");
    put_hex(v);
    puts_("\n");
}

int main(void) {
    ulong sum;
    for (unsigned i = 0; i < N; i++) {
        ulong a = values[i];
        ulong b = values[(i + 3) % N];
        ulong s = values[(i + 1) % N] % XLEN;
        sum = OP("sh1add", a, b) ^ OP("sh2add", a, b) << 1 ^ OP("sh3add", a, b) << 2;
        sum ^= OP("andn", a, b) ^ OP("orn", a, b) << 3 ^ OP("xnor", a, b) << 5;
        sum ^= OP("min", a, b) ^ OP("minu", a, b) << 7 ^ OP("max", a, b) << 9 ^ OP("maxu", a, b) << 11;
        sum ^= OP("rol", a, s) ^ OP("ror", a, s) << 13;
        sum ^= OP("bclr", a, s) ^ OP("bset", a, s) << 15 ^ OP("binv", a, s) << 17 ^ OP("bext", a, s) << 19;
        sum ^= UN("clz", a) ^ UN("ctz", a) << 21 ^ UN("cpop", a) << 23;
        sum ^= UN("sext.b", a) ^ UN("sext.h", a) << 25 ^ UN("zext.h", a) << 27;
        sum ^= UN("orc.b", a) ^ UN("rev8", a) << 29;
        sum ^= CZERO(5, a, b) ^ CZERO(7, a, b) << 31;
        sum ^= OPI("rori", a, 7) ^ OPI("bclri", a, 3) << 2 ^ OPI("bseti", a, 9) << 4;
        sum ^= OPI("binvi", a, XLEN - 1) << 6 ^ OPI("bexti", a, 7) << 8;
#if __riscv_xlen == 64
        sum ^= OP("add.uw", a, b) ^ OP("sh1add.uw", a, b) << 1 ^ OP("sh2add.uw", a, b) << 2;
        sum ^= OP("sh3add.uw", a, b) << 3 ^ OPI("slli.uw", a, 5) << 4;
        sum ^= OP("rolw", a, s) << 5 ^ OP("rorw", a, s) << 6 ^ OPI("roriw", a, 31) << 7;
        sum ^= UN("clzw", a) << 8 ^ UN("ctzw", a) << 9 ^ UN("cpopw", a) << 10;
#endif
        puts_("values ");
        put_dec(i);
        show(":", sum);
    }
    show("clz 0", UN("clz", 0));
    show("ctz 0", UN("ctz", 0));
    show("cpop ones", UN("cpop", ONES));
    show("orc.b", UN("orc.b", (ulong)0x0001000000100000ULL));
    show("rev8", UN("rev8", (ulong)0x0102030405060708ULL));
    CHECK_EQ(UN("clz", 1), XLEN - 1);
    CHECK_EQ(UN("ctz", 0), XLEN);
    CHECK_EQ(OP("min", ONES, 1), ONES);
    CHECK_EQ(OP("minu", ONES, 1), 1);
    CHECK_EQ(OP("bext", 0x80, 7), 1);
    CHECK_EQ(OP("ror", 1, 1), SMIN);
    CHECK_EQ(CZERO(5, 42, 0), 0);
    CHECK_EQ(CZERO(5, 42, 1), 42);
    CHECK_EQ(CZERO(7, 42, 0), 42);
    CHECK_EQ(OP("sh3add", 2, 1), 17);
#if __riscv_xlen == 64
    CHECK_EQ(OP("add.uw", ONES, 1), 0x100000000ULL);
    CHECK_EQ(UN("clzw", 1), 31);
    CHECK_EQ(OP("rorw", 1, 1), 0xffffffff80000000ULL);
#endif
    if (failures) {
        fail(failures);
    }
    pass();
}
