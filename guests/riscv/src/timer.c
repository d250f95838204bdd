/* Machine timer interrupts from the CLINT: three interrupts, each
   re-arming mtimecmp; the hart waits in wfi between them. */
#include "lib.h"

static volatile ulong ticks;
static volatile u64 *const mtimecmp = (volatile u64 *)(CLINT + 0x4000);
static volatile u64 *const mtime = (volatile u64 *)(CLINT + 0xbff8);

static u64 now(void) {
#if __riscv_xlen == 64
    return *mtime;
#else
    volatile u32 *m = (volatile u32 *)mtime;
    u32 hi, lo;
    do {
        hi = m[1];
        lo = m[0];
    } while (hi != m[1]);
    return ((u64)hi << 32) | lo;
#endif
}

static void arm(u64 when) {
#if __riscv_xlen == 64
    *mtimecmp = when;
#else
    volatile u32 *c = (volatile u32 *)mtimecmp;
    c[1] = 0xffffffff;
    c[0] = (u32)when;
    c[1] = (u32)(when >> 32);
#endif
}

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause != ((ulong)1 << (sizeof(long) * 8 - 1) | 7)) {
        puts_("unexpected trap\n");
        fail(2);
    }
    ticks++;
    if (ticks < 3) {
        arm(now() + 1000);
    } else {
        arm(~(u64)0);
    }
    return epc;
}

int main(ulong hartid) {
    (void)hartid;
    puts_("timer: arming\n");
    arm(now() + 1000);
    __asm__ volatile("csrs mie, %0" ::"r"(1ul << 7));
    __asm__ volatile("csrs mstatus, %0" ::"r"(1ul << 3));
    while (ticks < 3) {
        __asm__ volatile("wfi");
    }
    __asm__ volatile("csrc mstatus, %0" ::"r"(1ul << 3));
    CHECK_EQ(ticks, 3);
    puts_(failures ? "timer: FAILED\n" : "timer: 3 interrupts taken\n");
    return 0;
}
