/* The application core (RV64) of machines/hetero-demo.toml: prepares jobs
   in shared SRAM, releases the Cortex-M4 microcontroller from reset,
   hands it CRC-32 and filter jobs through the mailbox, sleeps until each
   answer arrives by interrupt (mailbox -> PLIC -> meip), checks every
   answer against its own computation and ends the run through the test
   finisher: exit code 0 only if all answers match. */
#include "../../riscv/src/lib.h"

typedef int s32;
typedef unsigned short u16;
typedef unsigned char u8;

#define MBOX 0x30000000UL
#include "shared.h"

#define SHARED_ADDR 0x90000000UL
#define SHARED ((volatile struct shared *)SHARED_ADDR)
#define SHARED_BYTES ((volatile u8 *)SHARED_ADDR)
#define RESET_HOLD (*(volatile u32 *)0x30010000UL)

#define PLIC 0x0c000000UL
#define PLIC_PRIORITY(s) (*(volatile u32 *)(PLIC + 4 * (s)))
#define PLIC_ENABLE0 (*(volatile u32 *)(PLIC + 0x2000))
#define PLIC_THRESHOLD0 (*(volatile u32 *)(PLIC + 0x200000))
#define PLIC_CLAIM0 (*(volatile u32 *)(PLIC + 0x200004))
#define MBOX_SOURCE(c) (1 + (c)) /* mailbox side A, channel c */

#define MTIMECMP0 (*(volatile u64 *)(CLINT + 0x4000))
#define MTIME (*(volatile u64 *)(CLINT + 0xbff8))
/* 50 ms of the 10 MHz timebase: far more than any job takes the
   microcontroller (at 25 MHz), so it only fires if it stops answering. */
#define WATCHDOG_TICKS 500000

#define MIE_MTIE (1ul << 7)
#define MIE_MEIE (1ul << 11)
#define IRQ_BIT ((ulong)1 << 63)

static const u32 crc_lengths[] = {37, 256, 1000, 2048, 4096};
static const struct {
    short coef[4];
    u32 shift;
    u32 samples;
} filters[] = {
    {{1, 3, 3, 1}, 3, 16},    /* binomial smoothing */
    {{1, -1, 0, 0}, 0, 64},   /* first difference (saturates) */
    {{3, 5, -2, 1}, 1, 128},  /* high gain (saturates) */
    {{4, 0, 0, -3}, 2, 256},  /* echo */
    {{-1, 2, -1, 0}, 1, 512}, /* second difference */
};
#define ROUNDS 5
#define JOBS (2 * ROUNDS)

static volatile u32 answered; /* bit c: channel c has answered */
/* On a page of its own: a store to a page that holds code makes the
   emulator drop that page's translated blocks. */
static short mine[512] __attribute__((aligned(4096)));

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause == (IRQ_BIT | 11)) {
        u32 source;
        while ((source = PLIC_CLAIM0) != 0) {
            if (source >= MBOX_SOURCE(0) && source <= MBOX_SOURCE(CH_FILTER)) {
                u32 c = source - MBOX_SOURCE(0);
                MBOX_ACK(c) = 1;
                answered |= 1u << c;
            }
            PLIC_CLAIM0 = source;
        }
        return epc;
    }
    if (cause == (IRQ_BIT | 7)) {
        puts_("app: timeout: the microcontroller stopped answering\n");
        fail(6);
    }
    puts_("app: unexpected trap, mcause ");
    put_hex(cause);
    puts_("\n");
    fail(3);
}

static void put_hex32(u32 v) {
    puts_("0x");
    for (int i = 28; i >= 0; i -= 4) {
        putc_("0123456789abcdef"[(v >> i) & 15]);
    }
}

static void put_sdec(s32 v) {
    if (v < 0) {
        putc_('-');
        put_dec((u64)(-(long)v));
    } else {
        put_dec((u64)v);
    }
}

/* Sleeps until every channel in `mask` has answered (or the watchdog
   fires), then forgets those answers. Interrupts are taken only here:
   the check and the wfi run with MIE clear, so no doorbell is missed
   between them (wfi wakes on a pending enabled interrupt regardless). */
static void wait_for(u32 mask) {
    MTIMECMP0 = MTIME + WATCHDOG_TICKS;
    while ((answered & mask) != mask) {
        __asm__ volatile("wfi");
        __asm__ volatile("csrs mstatus, 8");
        __asm__ volatile("csrc mstatus, 8");
    }
    answered &= ~mask;
    MTIMECMP0 = ~(u64)0;
}

static void ring(u32 channel, u32 message) {
    MBOX_SEND(channel) = message;
    MBOX_DOORBELL(channel) = 1;
}

/* The reference computations: written independently of the
   microcontroller's (bitwise CRC here, table-driven there). */
static u32 crc32_bitwise(const volatile u8 *p, u32 len) {
    u32 crc = 0xffffffffu;
    for (u32 i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

static u32 filter_ref(const volatile short *x, short *y, u32 n, const volatile short *c, u32 shift) {
    u32 sum = 0;
    for (u32 i = 0; i < n; i++) {
        long acc = 0;
        for (u32 k = 0; k < 4; k++) {
            if (i >= k) {
                acc += (long)c[k] * x[i - k];
            }
        }
        acc >>= shift;
        if (acc > 32767) {
            acc = 32767;
        } else if (acc < -32768) {
            acc = -32768;
        }
        y[i] = (short)acc;
        sum += (u32)acc;
    }
    return sum;
}

static u32 prepare(void) {
    volatile struct shared *sh = SHARED;
    u32 seed = 20240611;
    for (u32 i = DATA_OFFSET; i < OUT_OFFSET; i++) {
        seed = seed * 1103515245u + 12345u;
        SHARED_BYTES[i] = (u8)(seed >> 16);
    }
    for (u32 i = OUT_OFFSET; i < SHARED_SIZE; i++) {
        SHARED_BYTES[i] = 0;
    }
    u32 offset = DATA_OFFSET, n = 0;
    for (u32 r = 0; r < ROUNDS; r++) {
        volatile struct job *j = &sh->job[n++];
        j->kind = KIND_CRC;
        j->src = offset;
        j->len = crc_lengths[r];
        j->dst = 0;
        j->result = 0;
        offset = (offset + j->len + 15) & ~15u;
        j = &sh->job[n++];
        j->kind = KIND_FILTER;
        j->src = offset;
        j->len = filters[r].samples;
        j->dst = OUT_OFFSET + 0x400 * r;
        for (u32 k = 0; k < 4; k++) {
            j->coef[k] = filters[r].coef[k];
        }
        j->shift = filters[r].shift;
        j->result = 0;
        offset = (offset + 2 * j->len + 15) & ~15u;
    }
    sh->jobs = n;
    sh->magic = SHARED_MAGIC;
    return n;
}

static void check_crc(u32 i) {
    volatile struct job *j = &SHARED->job[i];
    u32 ref = crc32_bitwise(SHARED_BYTES + j->src, j->len);
    puts_("app: [");
    put_dec(i + 1);
    puts_("/");
    put_dec(JOBS);
    puts_("] crc-32 of ");
    put_dec(j->len);
    puts_(" bytes: ");
    put_hex32(j->result);
    if (j->result != ref) {
        puts_(" MISMATCH, expected ");
        put_hex32(ref);
        puts_("\n");
        fail(5);
    }
    puts_(" ok\n");
}

static void check_filter(u32 i) {
    volatile struct job *j = &SHARED->job[i];
    const volatile short *out = (const volatile short *)(SHARED_BYTES + j->dst);
    u32 ref = filter_ref((const volatile short *)(SHARED_BYTES + j->src), mine, j->len, j->coef, j->shift);
    u32 same = 0;
    for (u32 k = 0; k < j->len; k++) {
        same += out[k] == mine[k];
    }
    puts_("app: [");
    put_dec(i + 1);
    puts_("/");
    put_dec(JOBS);
    puts_("] filter of ");
    put_dec(j->len);
    puts_(" samples: sum ");
    put_sdec((s32)j->result);
    puts_(", ");
    put_dec(same);
    puts_(" samples match");
    if (j->result != ref || same != j->len) {
        puts_(": MISMATCH, expected sum ");
        put_sdec((s32)ref);
        puts_("\n");
        fail(5);
    }
    puts_(", ok\n");
}

int main(ulong hartid) {
    (void)hartid;
    puts_("app: hetero-demo: RV64 application core, Cortex-M4 microcontroller\n");
    u32 jobs = prepare();
    puts_("app: ");
    put_dec(jobs);
    puts_(" jobs ready in shared SRAM at ");
    put_hex32((u32)SHARED_ADDR);
    puts_("\n");
    PRIVATE_WORD = APP_MARK;

    for (u32 c = 0; c <= CH_FILTER; c++) {
        PLIC_PRIORITY(MBOX_SOURCE(c)) = 1;
    }
    PLIC_ENABLE0 = ((1u << (CH_FILTER + 1)) - 1) << MBOX_SOURCE(0);
    PLIC_THRESHOLD0 = 0;
    MTIMECMP0 = ~(u64)0;
    __asm__ volatile("csrs mie, %0" ::"r"(MIE_MEIE | MIE_MTIE));

    puts_("app: releasing the microcontroller from reset\n");
    RESET_HOLD = 0;
    wait_for(1u << CH_CTRL);
    u32 theirs = MBOX_RECV(CH_CTRL);
    puts_("app: microcontroller ready; ");
    put_hex32((u32)(ulong)&PRIVATE_WORD);
    puts_(" holds ");
    put_hex32(PRIVATE_WORD);
    puts_(" here, held ");
    put_hex32(theirs);
    puts_(" there\n");
    if (theirs != 0 || PRIVATE_WORD != APP_MARK) {
        puts_("app: private memories are not separate!\n");
        fail(4);
    }

    for (u32 r = 0; r < ROUNDS; r++) {
        u32 crc = 2 * r, filter = 2 * r + 1;
        ring(CH_CRC, crc);
        ring(CH_FILTER, filter);
        wait_for(1u << CH_CRC | 1u << CH_FILTER);
        if (MBOX_RECV(CH_CRC) != crc || MBOX_RECV(CH_FILTER) != filter) {
            puts_("app: answer for the wrong job\n");
            fail(7);
        }
        check_crc(crc);
        check_filter(filter);
    }

    puts_("app: stopping the microcontroller\n");
    ring(CH_CTRL, jobs);
    wait_for(1u << CH_CTRL);
    u32 served = MBOX_RECV(CH_CTRL);
    RESET_HOLD = 1;
    if (served != jobs) {
        puts_("app: the microcontroller served ");
        put_dec(served);
        puts_(" jobs\n");
        fail(8);
    }
    puts_("app: microcontroller back in reset; all ");
    put_dec(jobs);
    puts_(" answers verified\n");
    return 0;
}
