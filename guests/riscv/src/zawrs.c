/* Zawrs: wrs.nto and wrs.sto wait for a reservation set to be written,
   and may end at once; in M mode, with a reservation held and without,
   both return and the program goes on. */
#include "lib.h"

static volatile ulong flag;

int main(ulong hartid) {
    (void)hartid;
    ulong v;
    __asm__ volatile(".insn i 0x73, 0, x0, x0, 0x00d"); /* wrs.nto */
    __asm__ volatile(".insn i 0x73, 0, x0, x0, 0x01d"); /* wrs.sto */
#if __riscv_xlen == 64
    __asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"(&flag) : "memory");
#else
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(&flag) : "memory");
#endif
    __asm__ volatile(".insn i 0x73, 0, x0, x0, 0x00d");
    __asm__ volatile(".insn i 0x73, 0, x0, x0, 0x01d");
    CHECK_EQ(v, 0);
    puts_(failures ? "zawrs: FAILED\n" : "zawrs: both waits returned\n");
    return failures;
}
