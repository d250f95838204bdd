/* The microcontroller (RV32): starts when the application core releases
   it, reports ready, then computes CRCs of shared-memory buffers on
   request, answering through the mailbox. */
#include "mailbox.h"

#define SHARED ((volatile unsigned char *)0x20000000UL)

static volatile u32 pending;

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause != ((ulong)1 << 31 | 11)) {
        puts_("mcu: unexpected trap\n");
        for (;;) {
        }
    }
    u32 p = MBOX_PENDING;
    for (u32 c = 0; c < 4; c++) {
        if (p & (1u << c)) {
            MBOX_ACK(c) = 1;
        }
    }
    pending |= p;
    return epc;
}

int main(ulong hartid) {
    (void)hartid;
    puts_("mcu: up\n");
    __asm__ volatile("csrs mie, %0" ::"r"(1ul << 11));
    __asm__ volatile("csrs mstatus, 8");
    MBOX_SEND(CH_READY) = PRIVATE_WORD;
    MBOX_DOORBELL(CH_READY) = 1;
    for (u32 served = 1;; served++) {
        while (!(pending & (1u << CH_JOB))) {
            __asm__ volatile("wfi");
        }
        __asm__ volatile("csrc mstatus, 8");
        pending &= ~(1u << CH_JOB);
        __asm__ volatile("csrs mstatus, 8");
        u32 job = MBOX_RECV(CH_JOB);
        u32 crc = crc32(SHARED + (job >> 16), job & 0xffff);
        puts_("mcu: job ");
        put_dec(served);
        puts_(" crc ");
        put_hex(crc);
        puts_("\n");
        MBOX_SEND(CH_JOB) = crc;
        MBOX_DOORBELL(CH_JOB) = 1;
    }
}
