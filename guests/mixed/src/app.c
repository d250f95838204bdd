/* The application core (RV64): prepares buffers in shared memory, starts
   the microcontroller, hands it CRC jobs through the mailbox, checks every
   answer against its own computation and ends the run. */
#include "mailbox.h"

#define RESET_HOLD (*(volatile u32 *)0x30010000UL)
#define SHARED ((volatile unsigned char *)0x90000000UL)
#define JOBS 6

static volatile u32 pending;

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause != ((ulong)1 << 63 | 11)) {
        puts_("app: unexpected trap\n");
        fail(3);
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

static u32 wait_for(u32 channel) {
    while (!(pending & (1u << channel))) {
        __asm__ volatile("wfi");
    }
    __asm__ volatile("csrc mstatus, 8");
    pending &= ~(1u << channel);
    __asm__ volatile("csrs mstatus, 8");
    return MBOX_RECV(channel);
}

int main(ulong hartid) {
    (void)hartid;
    puts_("app: preparing jobs in shared memory\n");
    u32 seed = 12345;
    for (u32 i = 0; i < JOBS * 1024; i++) {
        seed = seed * 1103515245u + 12345u;
        SHARED[i] = (unsigned char)(seed >> 16);
    }
    PRIVATE_WORD = 0xdeadbeef;
    __asm__ volatile("csrs mie, %0" ::"r"(1ul << 11));
    __asm__ volatile("csrs mstatus, 8");
    puts_("app: releasing the microcontroller from reset\n");
    RESET_HOLD = 0;
    u32 theirs = wait_for(CH_READY);
    if (theirs == PRIVATE_WORD) {
        puts_("app: the microcontroller sees my private memory!\n");
        fail(4);
    }
    puts_("app: microcontroller ready; private memories are separate\n");
    for (u32 j = 0; j < JOBS; j++) {
        u32 offset = j * 1024, len = 200 + 131 * j;
        MBOX_SEND(CH_JOB) = (offset << 16) | len;
        MBOX_DOORBELL(CH_JOB) = 1;
        u32 answer = wait_for(CH_JOB);
        u32 mine = crc32(SHARED + offset, len);
        puts_("app: [");
        put_dec(j + 1);
        puts_("/");
        put_dec(JOBS);
        puts_(answer == mine ? "] crc ok " : "] crc MISMATCH ");
        put_hex(answer);
        puts_("\n");
        if (answer != mine) {
            fail(5);
        }
    }
    puts_("app: all jobs verified\n");
    return 0;
}
