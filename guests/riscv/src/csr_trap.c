/* Zicsr and machine-mode traps: ecall, ebreak, illegal instruction,
   access fault on an unmapped load, misaligned AMO, and mret back. */
#include "lib.h"

static volatile ulong last_cause, last_tval, traps;

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    last_cause = cause;
    last_tval = tval;
    traps++;
    /* Skip the trapping instruction (2 or 4 bytes). */
    unsigned short low = *(volatile unsigned short *)epc;
    return epc + ((low & 3) == 3 ? 4 : 2);
}

static ulong read_mscratch(void) {
    ulong v;
    __asm__ volatile("csrr %0, mscratch" : "=r"(v));
    return v;
}

int main(ulong hartid) {
    ulong v, old;
    puts_("csr access\n");
    __asm__ volatile("csrw mscratch, %0" ::"r"(0x1234ul));
    CHECK_EQ(read_mscratch(), 0x1234);
    __asm__ volatile("csrrs %0, mscratch, %1" : "=r"(old) : "r"(0xf0000ul));
    CHECK_EQ(old, 0x1234);
    CHECK_EQ(read_mscratch(), 0xf1234);
    __asm__ volatile("csrrci %0, mscratch, 4" : "=r"(old));
    CHECK_EQ(read_mscratch(), 0xf1230);
    __asm__ volatile("csrrwi %0, mscratch, 7" : "=r"(old));
    CHECK_EQ(old, 0xf1230);
    CHECK_EQ(read_mscratch(), 7);
    __asm__ volatile("csrr %0, mhartid" : "=r"(v));
    CHECK_EQ(v, hartid);
    __asm__ volatile("csrr %0, misa" : "=r"(v));
    CHECK(v & (1 << 8));  /* I */
    CHECK(v & (1 << 12)); /* M */
    CHECK(v & (1 << 0));  /* A */
    CHECK(v & (1 << 2));  /* C */
    CHECK_EQ(v >> (sizeof(long) * 8 - 2), sizeof(long) == 8 ? 2 : 1);
    ulong c0, c1;
    __asm__ volatile("rdinstret %0" : "=r"(c0));
    __asm__ volatile("nop; nop; nop; rdinstret %0" : "=r"(c1));
    CHECK(c1 > c0);

    puts_("traps\n");
    __asm__ volatile("ecall");
    CHECK_EQ(last_cause, 11);
    __asm__ volatile("ebreak");
    CHECK_EQ(last_cause, 3);
    __asm__ volatile(".word 0xffffffff");
    CHECK_EQ(last_cause, 2);
    CHECK_EQ(last_tval, 0xffffffff);
    volatile u32 *nothing = (volatile u32 *)0x200000ul; /* a hole on virt */
    v = *nothing;
    CHECK_EQ(last_cause, 5);
    CHECK_EQ(last_tval, 0x200000ul);
    *nothing = 1;
    CHECK_EQ(last_cause, 7);
    static volatile u32 word[2];
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(v) : "r"((ulong)word + 1), "r"(1ul) : "memory");
    /* The spec says store/AMO address misaligned (6); QEMU 10 reports a
       load address misaligned (4). Both stay silent here so the output
       matches QEMU's; Chimera follows the spec. */
    CHECK(last_cause == 6 || last_cause == 4);
    CHECK_EQ(traps, 6);
    puts_(failures ? "csr_trap: FAILED\n" : "csr_trap: all passed\n");
    return 0;
}
