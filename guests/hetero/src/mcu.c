/* The microcontroller (Cortex-M4) of machines/hetero-demo.toml: starts when
   the application core releases it from reset, reports ready, then sleeps
   (WFI) until a mailbox doorbell arrives through the NVIC (channel c is
   IRQ 16 + c), computes the job the message names in shared SRAM, writes
   the answer there and rings back. Integer code only. */
#include "../../arm-m/src/lib.h"

#define MBOX 0x40010000u
#include "shared.h"

#define SHARED_ADDR 0x28000000u
#define SHARED ((volatile struct shared *)SHARED_ADDR)
#define SHARED_BYTES ((volatile u8 *)SHARED_ADDR)
#define MBOX_IRQ(c) (16 + (c))

static volatile u32 pending; /* bit c: a doorbell on channel c */
static u32 crc_table[256];

/* The vector table (start.S) names IRQ16..18_Handler: one per channel. */
static void doorbell(u32 c) {
    MBOX_ACK(c) = 1; /* lowers the line before the handler returns */
    pending |= 1u << c;
}

void IRQ16_Handler(void) {
    doorbell(CH_CTRL);
}

void IRQ17_Handler(void) {
    doorbell(CH_CRC);
}

void IRQ18_Handler(void) {
    doorbell(CH_FILTER);
}

/* Sleeps until a doorbell has rung and takes one, jobs before control.
   PRIMASK is set around the check so that no interrupt slips in between
   it and the WFI (which still wakes on a pending interrupt); the handler
   runs when PRIMASK is cleared. */
static u32 next_doorbell(void) {
    irq_disable();
    while (!pending) {
        __asm__ volatile("wfi");
        irq_enable();
        irq_disable();
    }
    u32 p = pending, c = p & (1u << CH_CRC) ? CH_CRC : p & (1u << CH_FILTER) ? CH_FILTER : CH_CTRL;
    pending = p & ~(1u << c);
    irq_enable();
    return c;
}

static void ring(u32 channel, u32 message) {
    MBOX_SEND(channel) = message;
    MBOX_DOORBELL(channel) = 1;
}

/* Table-driven CRC-32 (IEEE 802.3, reflected). */
static void crc_init(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int b = 0; b < 8; b++) {
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
        }
        crc_table[i] = c;
    }
}

static u32 crc32_table(const volatile u8 *p, u32 len) {
    u32 crc = 0xffffffffu;
    while (len--) {
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

/* The 4-tap FIR with its delay line in registers. */
static u32 fir(const volatile short *x, volatile short *y, u32 n, const volatile short *c, u32 shift) {
    s32 c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    s32 x1 = 0, x2 = 0, x3 = 0;
    u32 sum = 0;
    for (u32 i = 0; i < n; i++) {
        s32 x0 = x[i];
        s32 acc = (c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3) >> shift;
        acc = acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc;
        y[i] = (short)acc;
        sum += (u32)acc;
        x3 = x2;
        x2 = x1;
        x1 = x0;
    }
    return sum;
}

int main(void) {
    puts_("mcu: Cortex-M4 up; shared SRAM at ");
    put_hex(SHARED_ADDR);
    puts_(" says ");
    put_hex(SHARED->magic);
    puts_("\n");
    u32 seen = PRIVATE_WORD;
    PRIVATE_WORD = MCU_MARK;
    crc_init();
    for (u32 c = CH_CTRL; c <= CH_FILTER; c++) {
        NVIC_IPR(MBOX_IRQ(c)) = 0x80;
    }
    NVIC_ISER(0) = 7u << MBOX_IRQ(0);
    ring(CH_CTRL, seen);

    u32 served = 0, crcs = 0, filters = 0;
    for (;;) {
        u32 c = next_doorbell();
        if (c == CH_CTRL) {
            break;
        }
        u32 i = MBOX_RECV(c);
        volatile struct job *j = &SHARED->job[i < MAX_JOBS ? i : 0];
        served++;
        puts_("mcu: job ");
        put_dec(i + 1);
        if (c == CH_CRC && j->kind == KIND_CRC) {
            j->result = crc32_table(SHARED_BYTES + j->src, j->len);
            crcs++;
            puts_(": crc-32 of ");
            put_dec(j->len);
            puts_(" bytes = ");
            put_hex(j->result);
        } else if (c == CH_FILTER && j->kind == KIND_FILTER) {
            j->result = fir((const volatile short *)(SHARED_BYTES + j->src),
                            (volatile short *)(SHARED_BYTES + j->dst), j->len, j->coef, j->shift);
            filters++;
            puts_(": filter [");
            for (u32 k = 0; k < 4; k++) {
                put_sdec(j->coef[k]);
                puts_(k < 3 ? " " : "]>>");
            }
            put_dec(j->shift);
            puts_(" over ");
            put_dec(j->len);
            puts_(" samples, sum ");
            put_sdec((s32)j->result);
        } else {
            puts_(": not a job for channel ");
            put_dec(c);
            j->result = 0xffffffffu;
        }
        puts_("\n");
        ring(c, i);
    }

    puts_("mcu: asked to stop after ");
    put_dec(MBOX_RECV(CH_CTRL));
    puts_(" jobs; served ");
    put_dec(served);
    puts_(" (");
    put_dec(crcs);
    puts_(" crc-32, ");
    put_dec(filters);
    puts_(" filter)\n");
    ring(CH_CTRL, served);
    irq_disable();
    for (;;) {
        __asm__ volatile("wfi");
    }
}
