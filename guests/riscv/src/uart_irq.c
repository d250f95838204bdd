/* Interrupt-driven console input through the PLIC: the UART's receive
   interrupt is source 10; the hart sleeps in wfi and takes a machine
   external interrupt per burst of input, claiming and completing it. */
#include "lib.h"

#define PLIC 0x0c000000UL
#define PLIC_PRIORITY(s) (*(volatile u32 *)(PLIC + 4 * (s)))
#define PLIC_ENABLE0 (*(volatile u32 *)(PLIC + 0x2000))
#define PLIC_THRESHOLD0 (*(volatile u32 *)(PLIC + 0x200000))
#define PLIC_CLAIM0 (*(volatile u32 *)(PLIC + 0x200004))
#define UART_IRQ 10

static volatile char line[64];
static volatile u32 len, done, interrupts;

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause != ((ulong)1 << (sizeof(long) * 8 - 1) | 11)) {
        puts_("unexpected trap\n");
        fail(2);
    }
    volatile unsigned char *uart = (volatile unsigned char *)UART0;
    u32 source = PLIC_CLAIM0;
    if (source == UART_IRQ) {
        interrupts++;
        while (uart[5] & 1) {
            char c = (char)uart[0];
            if (c == '\n' || c == '\r') {
                done = 1;
            } else if (len < sizeof line - 1) {
                line[len++] = c;
            }
        }
    }
    PLIC_CLAIM0 = source;
    return epc;
}

int main(ulong hartid) {
    (void)hartid;
    volatile unsigned char *uart = (volatile unsigned char *)UART0;
    puts_("uart_irq: waiting for a line\n");
    PLIC_PRIORITY(UART_IRQ) = 1;
    PLIC_ENABLE0 = 1u << UART_IRQ;
    PLIC_THRESHOLD0 = 0;
    uart[1] = 1; /* IER: received-data interrupt */
    __asm__ volatile("csrs mie, %0" ::"r"(1ul << 11));
    /* Sleep with MIE clear: wfi still wakes on a pending enabled
       interrupt, which is then taken in the short window with MIE set.
       Checking `done` with interrupts on would lose a wake-up that lands
       between the check and the wfi (QEMU sometimes delivers the whole
       input right there). */
    while (!done) {
        __asm__ volatile("wfi");
        __asm__ volatile("csrs mstatus, 8");
        __asm__ volatile("csrc mstatus, 8");
    }
    uart[1] = 0;
    line[len] = 0;
    puts_("uart_irq: got \"");
    puts_((const char *)line);
    puts_("\"\n");
    CHECK(interrupts > 0);
    return 0;
}
