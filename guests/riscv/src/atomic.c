/* The A extension: LR/SC success and failure paths, and every AMO. */
#include "lib.h"

#define AMO(insn, addr, v) ({ ulong _r; __asm__ volatile(insn " %0, %2, (%1)" : "=r"(_r) : "r"(addr), "r"((ulong)(v)) : "memory"); _r; })

int main(ulong hartid) {
    (void)hartid;
    static volatile u32 w __attribute__((aligned(8)));
    static volatile u64 d __attribute__((aligned(8)));
    ulong r, ok;
    puts_("lr/sc\n");
    /* sc without a reservation fails and leaves memory alone */
    w = 5;
    __asm__ volatile("sc.w %0, %2, (%1)" : "=r"(ok) : "r"(&w), "r"(9ul) : "memory");
    CHECK(ok != 0);
    CHECK_EQ(w, 5);
    __asm__ volatile("lr.w %0, (%1)" : "=r"(r) : "r"(&w) : "memory");
    CHECK_EQ(r, 5);
    __asm__ volatile("sc.w %0, %2, (%1)" : "=r"(ok) : "r"(&w), "r"(9ul) : "memory");
    CHECK_EQ(ok, 0);
    CHECK_EQ(w, 9);
    /* a second sc after a successful one fails: the reservation is gone */
    __asm__ volatile("sc.w %0, %2, (%1)" : "=r"(ok) : "r"(&w), "r"(11ul) : "memory");
    CHECK(ok != 0);
    CHECK_EQ(w, 9);
    puts_("amo .w\n");
    w = 0xfffffffe;
    CHECK_EQ(AMO("amoadd.w", &w, 3), (ulong)(slong)(int)0xfffffffe);
    CHECK_EQ(w, 1);
    CHECK_EQ(AMO("amoswap.w", &w, 0x80000000u), 1);
    CHECK_EQ(AMO("amoxor.w", &w, 0x80000001u), (ulong)(slong)(int)0x80000000);
    CHECK_EQ(w, 1);
    CHECK_EQ(AMO("amoor.w", &w, 6), 1);
    CHECK_EQ(AMO("amoand.w", &w, 5), 7);
    CHECK_EQ(w, 5);
    CHECK_EQ(AMO("amomin.w", &w, -1), 5);
    CHECK_EQ(w, 0xffffffff);
    CHECK_EQ(AMO("amominu.w", &w, 3), (ulong)-1);
    CHECK_EQ(w, 3);
    CHECK_EQ(AMO("amomax.w", &w, -5), 3);
    CHECK_EQ(w, 3);
    CHECK_EQ(AMO("amomaxu.w", &w, -5), 3);
    CHECK_EQ(w, 0xfffffffb);
#if __riscv_xlen == 64
    puts_("amo .d and lr.d/sc.d\n");
    d = 1;
    CHECK_EQ(AMO("amoadd.d", &d, -2), 1);
    CHECK_EQ(d, (u64)-1);
    CHECK_EQ(AMO("amomaxu.d", &d, 1), (ulong)-1);
    CHECK_EQ(AMO("amomax.d", &d, 1), (ulong)-1);
    CHECK_EQ(d, 1);
    CHECK_EQ(AMO("amomin.d", &d, (ulong)1 << 63), 1);
    CHECK_EQ(d, (u64)1 << 63);
    __asm__ volatile("lr.d %0, (%1)" : "=r"(r) : "r"(&d) : "memory");
    __asm__ volatile("sc.d %0, %2, (%1)" : "=r"(ok) : "r"(&d), "r"(42ul) : "memory");
    CHECK_EQ(ok, 0);
    CHECK_EQ(d, 42);
#else
    (void)d;
#endif
    puts_(failures ? "atomic: FAILED\n" : "atomic: all passed\n");
    return 0;
}
