/* systick: SysTick as ARMv7-M B3.3 describes it and QEMU models it, in
   the facts that do not depend on how fast time runs: a write to CVR
   clears the counter and COUNTFLAG, and the counter reloads from RVR on
   the next clock edge without an exception (enabling SysTick after
   clearing CVR pends nothing and sets no COUNTFLAG); the first exception
   comes only once the counter counted RVR down; with RVR zero the
   cleared counter stays stopped at zero; CALIB as QEMU reports it for the
   board's 1 MHz reference clock; a tickless sleep (clear CVR, enable,
   WFI) wakes on the tick, not at once. Interrupts stay masked (PRIMASK)
   where the test polls ICSR.PENDSTSET. */
#include "lib.h"

#define CSR_ENABLE 1u
#define CSR_TICKINT 2u
#define CSR_CLKSOURCE 4u
#define CSR_COUNTFLAG (1u << 16)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)
#define SYST_CALIB REG32(0xE000E01C)

static volatile u32 ticks;

void SysTick_Handler(void) {
    ticks++;
}

/* A few microseconds of the processor's time, far less than any period
   here, after a barrier that ends the translation block. */
static void moment(void) {
    __asm__ volatile("isb" ::: "memory");
    for (volatile int i = 0; i < 20; i++) {
    }
}

static void stop(void) {
    SYST_CSR = CSR_CLKSOURCE;
    ICSR = ICSR_PENDSTCLR;
}

/* Polls until COUNTFLAG, at most `tries` reads; the reads made. */
static u32 until_countflag(u32 tries) {
    for (u32 i = 1; i <= tries; i++) {
        if (SYST_CSR & CSR_COUNTFLAG) {
            return i;
        }
    }
    return 0;
}

static void test_enable_after_clear(void) {
    irq_disable();
    SYST_RVR = 25000 - 1; /* 1 ms of the 25 MHz processor clock */
    SYST_CVR = 123;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE;
    moment();
    u32 csr = SYST_CSR;
    u32 pending = ICSR & ICSR_PENDSTSET;
    u32 cvr = SYST_CVR;
    puts_("enable after clearing cvr: countflag ");
    put_dec(csr >> 16 & 1);
    puts_(", pending ");
    put_dec(pending != 0);
    puts_(", counter within reload ");
    put_dec(cvr <= 25000 - 1);
    puts_("\n");
    CHECK_EQ(csr & CSR_COUNTFLAG, 0);
    CHECK_EQ(pending, 0);
    /* It counts down to zero once: then COUNTFLAG and the exception. */
    u32 polls = until_countflag(10000000);
    pending = ICSR & ICSR_PENDSTSET;
    puts_("counted down: countflag seen ");
    put_dec(polls != 0);
    puts_(", pending ");
    put_dec(pending != 0);
    puts_("\n");
    CHECK(polls != 0);
    CHECK(pending != 0);
    stop();
    irq_enable();
}

static void test_clear_while_running(void) {
    irq_disable();
    SYST_RVR = 2500 - 1;
    SYST_CVR = 0;
    SYST_CSR = CSR_ENABLE | CSR_CLKSOURCE;
    CHECK(until_countflag(10000000) != 0);
    /* COUNTFLAG was cleared by the read that saw it; it wraps again. */
    CHECK(until_countflag(10000000) != 0);
    SYST_CVR = 0;
    moment();
    u32 csr = SYST_CSR;
    puts_("cvr written while running: countflag ");
    put_dec(csr >> 16 & 1);
    puts_("\n");
    CHECK_EQ(csr & CSR_COUNTFLAG, 0);
    stop();
    irq_enable();
}

static void test_zero_reload(void) {
    irq_disable();
    SYST_RVR = 0;
    SYST_CVR = 0;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE;
    u32 polls = until_countflag(20000);
    u32 cvr = SYST_CVR;
    u32 pending = ICSR & ICSR_PENDSTSET;
    puts_("reload 0: countflag seen ");
    put_dec(polls != 0);
    puts_(", counter ");
    put_dec(cvr);
    puts_(", pending ");
    put_dec(pending != 0);
    puts_("\n");
    CHECK_EQ(polls, 0);
    CHECK_EQ(cvr, 0);
    CHECK_EQ(pending, 0);
    stop();
    irq_enable();
}

static void test_calib(void) {
    u32 calib = SYST_CALIB;
    puts_("calib ");
    put_hex(calib);
    puts_("\n");
}

/* A tickless idle as an RTOS does it: program the sleep, clear CVR,
   enable, WFI until the tick came. */
static void test_tickless_sleep(void) {
    ticks = 0;
    SYST_RVR = 250000 - 1; /* 10 ms */
    SYST_CVR = 0;
    SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE;
    moment();
    u32 at_once = ticks;
    while (ticks == 0) {
        __asm__ volatile("wfi");
    }
    stop();
    puts_("tickless sleep: ticks at once ");
    put_dec(at_once);
    puts_(", after the sleep ");
    put_dec(ticks);
    puts_("\n");
    CHECK_EQ(at_once, 0);
    CHECK_EQ(ticks, 1);
}

int main(void) {
    test_enable_after_clear();
    test_clear_while_running();
    test_zero_reload();
    test_calib();
    test_tickless_sleep();
    finish("systick");
}
