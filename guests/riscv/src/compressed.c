/* The C extension, instruction by instruction with explicit `c.`
   mnemonics, including its edge cases (c.lui's sign, c.srai by XLEN-1,
   c.addi16sp, the stack-pointer forms, and RV64's c.addiw/c.subw). */
#include "lib.h"

int main(ulong hartid) {
    (void)hartid;
    ulong r, a, b;
    puts_("compressed\n");
    __asm__ volatile("c.li %0, -32" : "=r"(r));
    CHECK_EQ(r, (ulong)-32);
    __asm__ volatile("c.li %0, 31" : "=r"(r));
    CHECK_EQ(r, 31);
    __asm__ volatile("c.lui %0, 0xfffff" : "=r"(r));
    CHECK_EQ(r, (ulong)(slong)-4096);
    __asm__ volatile("c.lui %0, 1" : "=r"(r));
    CHECK_EQ(r, 4096);
    r = 5;
    __asm__ volatile("c.addi %0, -6" : "+r"(r));
    CHECK_EQ(r, (ulong)-1);
    r = 1;
    __asm__ volatile("c.slli %0, %1" : "+r"(r) : "i"(sizeof(long) * 8 - 1));
    CHECK_EQ(r, (ulong)1 << (sizeof(long) * 8 - 1));
    __asm__ volatile("c.srai %0, %1" : "+r"(r) : "i"(sizeof(long) * 8 - 1));
    CHECK_EQ(r, (ulong)-1);
    __asm__ volatile("c.srli %0, %1" : "+r"(r) : "i"(sizeof(long) * 8 - 1));
    CHECK_EQ(r, 1);
    r = 0xff;
    __asm__ volatile("c.andi %0, -16" : "+r"(r));
    CHECK_EQ(r, 0xf0);
    a = 10;
    b = 3;
    __asm__ volatile("c.sub %0, %1" : "+r"(a) : "r"(b));
    CHECK_EQ(a, 7);
    __asm__ volatile("c.xor %0, %1" : "+r"(a) : "r"(b));
    CHECK_EQ(a, 4);
    __asm__ volatile("c.or %0, %1" : "+r"(a) : "r"(b));
    CHECK_EQ(a, 7);
    __asm__ volatile("c.and %0, %1" : "+r"(a) : "r"(b));
    CHECK_EQ(a, 3);
    __asm__ volatile("c.mv %0, %1" : "=r"(r) : "r"(b));
    CHECK_EQ(r, 3);
    __asm__ volatile("c.add %0, %1" : "+r"(r) : "r"(b));
    CHECK_EQ(r, 6);
#if __riscv_xlen == 64
    r = 0x7fffffff;
    __asm__ volatile("c.addiw %0, 1" : "+r"(r));
    CHECK_EQ(r, 0xffffffff80000000ul);
    a = 0x100000000ul;
    b = 1;
    __asm__ volatile("c.subw %0, %1" : "+r"(a) : "r"(b));
    CHECK_EQ(a, (ulong)-1);
    a = 0x7fffffff;
    __asm__ volatile("c.addw %0, %1" : "+r"(a) : "r"(b));
    CHECK_EQ(a, 0xffffffff80000000ul);
#endif
    /* Stack-pointer forms: store, load back, adjust sp by 16 and back. */
    ulong v = 0x1234, got = 0, sp_before, sp_after;
    __asm__ volatile(
        "mv %[before], sp\n"
        "c.addi16sp sp, -32\n"
#if __riscv_xlen == 64
        "c.sdsp %[v], 8(sp)\n"
        "c.ldsp %[got], 8(sp)\n"
#else
        "c.swsp %[v], 8(sp)\n"
        "c.lwsp %[got], 8(sp)\n"
#endif
        "c.addi16sp sp, 32\n"
        "mv %[after], sp\n"
        : [before] "=&r"(sp_before), [after] "=&r"(sp_after), [got] "=&r"(got)
        : [v] "r"(v)
        : "memory");
    CHECK_EQ(got, 0x1234);
    CHECK_EQ(sp_before, sp_after);
    /* Branches and jumps. */
    r = 0;
    __asm__ volatile(
        "c.li a0, 0\n"
        "c.beqz a0, 1f\n"
        "c.li %0, 9\n"
        "1: c.bnez a0, 2f\n"
        "c.addi %0, 1\n"
        "2: c.j 3f\n"
        "c.li %0, 7\n"
        "3:\n"
        : "+r"(r)
        :
        : "a0");
    CHECK_EQ(r, 1);
    puts_(failures ? "compressed: FAILED\n" : "compressed: all passed\n");
    return 0;
}
