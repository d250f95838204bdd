/* Two harts: each adds 10000 to a shared counter with amoadd.w, and 10000
   to another under an LR/SC spinlock; hart 0 waits for hart 1 and checks
   both totals. Run with two harts (QEMU: -smp 2). */
#include "lib.h"

#define N 10000

static volatile u32 counter, locked_counter, lock, done;

static void take(void) {
    u32 got;
    do {
        __asm__ volatile(
            "1: lr.w %0, (%1)\n"
            "   bnez %0, 1b\n"
            "   sc.w %0, %2, (%1)\n"
            : "=&r"(got)
            : "r"(&lock), "r"(1u)
            : "memory");
    } while (got != 0);
}

static void release(void) {
    __asm__ volatile("amoswap.w zero, zero, (%0)" ::"r"(&lock) : "memory");
}

static void work(void) {
    for (int i = 0; i < N; i++) {
        __asm__ volatile("amoadd.w zero, %1, (%0)" ::"r"(&counter), "r"(1u) : "memory");
        take();
        locked_counter = locked_counter + 1;
        release();
    }
}

void secondary(ulong hartid) {
    if (hartid != 1) {
        return;
    }
    work();
    __asm__ volatile("amoadd.w zero, %1, (%0)" ::"r"(&done), "r"(1u) : "memory");
}

int main(ulong hartid) {
    (void)hartid;
    puts_("amo_smp: 2 harts counting\n");
    work();
    while (done == 0) {
    }
    CHECK_EQ(counter, 2 * N);
    CHECK_EQ(locked_counter, 2 * N);
    puts_(failures ? "amo_smp: FAILED\n" : "amo_smp: counts agree\n");
    return 0;
}
