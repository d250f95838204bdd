/* The Sstc supervisor timer, from M mode: with menvcfg.STCE set,
   mip.STIP is `time >= stimecmp` and software cannot write it; three
   supervisor timer interrupts (not delegated, so taken in M mode) each
   re-arm stimecmp while the hart waits in wfi; with STCE clear, STIP is
   a software bit again. */
#include "lib.h"

#define MIP_STIP (1ul << 5)

static volatile ulong ticks;

static u64 time_now(void) {
#if __riscv_xlen == 64
    ulong t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
#else
    u32 hi, lo, hi2;
    do {
        __asm__ volatile("rdtimeh %0" : "=r"(hi));
        __asm__ volatile("rdtime %0" : "=r"(lo));
        __asm__ volatile("rdtimeh %0" : "=r"(hi2));
    } while (hi != hi2);
    return ((u64)hi << 32) | lo;
#endif
}

static void set_stimecmp(u64 v) {
#if __riscv_xlen == 64
    __asm__ volatile("csrw 0x14d, %0" ::"r"(v));
#else
    /* High half first to all ones, so no value in between is due early. */
    __asm__ volatile("csrw 0x15d, %0" ::"r"(0xffffffffu));
    __asm__ volatile("csrw 0x14d, %0" ::"r"((u32)v));
    __asm__ volatile("csrw 0x15d, %0" ::"r"((u32)(v >> 32)));
#endif
}

static u64 get_stimecmp(void) {
#if __riscv_xlen == 64
    ulong v;
    __asm__ volatile("csrr %0, 0x14d" : "=r"(v));
    return v;
#else
    u32 lo, hi;
    __asm__ volatile("csrr %0, 0x14d" : "=r"(lo));
    __asm__ volatile("csrr %0, 0x15d" : "=r"(hi));
    return ((u64)hi << 32) | lo;
#endif
}

static void stce(int on) {
#if __riscv_xlen == 64
    ulong bit = 1ul << 63;
    if (on) {
        __asm__ volatile("csrs 0x30a, %0" ::"r"(bit));
    } else {
        __asm__ volatile("csrc 0x30a, %0" ::"r"(bit));
    }
#else
    ulong bit = 1ul << 31;
    if (on) {
        __asm__ volatile("csrs 0x31a, %0" ::"r"(bit));
    } else {
        __asm__ volatile("csrc 0x31a, %0" ::"r"(bit));
    }
#endif
}

static ulong mip(void) {
    ulong v;
    __asm__ volatile("csrr %0, mip" : "=r"(v));
    return v;
}

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause != ((ulong)1 << (sizeof(long) * 8 - 1) | 5)) {
        puts_("unexpected trap ");
        put_hex(cause);
        puts_("\n");
        fail(2);
    }
    ticks++;
    if (ticks < 3) {
        set_stimecmp(time_now() + 1000);
    } else {
        set_stimecmp(~(u64)0);
    }
    return epc;
}

int main(ulong hartid) {
    (void)hartid;
    stce(1);
    set_stimecmp(0x123456789abcull);
    CHECK_EQ(get_stimecmp(), 0x123456789abcull);
    CHECK_EQ(mip() & MIP_STIP, 0);
    set_stimecmp(0);
    CHECK_EQ(mip() & MIP_STIP, MIP_STIP);
    /* Driven by the comparison: a software clear does nothing. */
    __asm__ volatile("csrc mip, %0" ::"r"(MIP_STIP));
    CHECK_EQ(mip() & MIP_STIP, MIP_STIP);
    set_stimecmp(~(u64)0);
    CHECK_EQ(mip() & MIP_STIP, 0);
    __asm__ volatile("csrs mip, %0" ::"r"(MIP_STIP));
    CHECK_EQ(mip() & MIP_STIP, 0);

    puts_("sstc: arming\n");
    set_stimecmp(time_now() + 1000);
    __asm__ volatile("csrs mie, %0" ::"r"(MIP_STIP));
    __asm__ volatile("csrs mstatus, %0" ::"r"(1ul << 3));
    while (ticks < 3) {
        __asm__ volatile("wfi");
    }
    __asm__ volatile("csrc mstatus, %0" ::"r"(1ul << 3));
    __asm__ volatile("csrc mie, %0" ::"r"(MIP_STIP));
    CHECK_EQ(ticks, 3);

    /* STCE off: STIP is the software's again. */
    stce(0);
    __asm__ volatile("csrs mip, %0" ::"r"(MIP_STIP));
    CHECK_EQ(mip() & MIP_STIP, MIP_STIP);
    __asm__ volatile("csrc mip, %0" ::"r"(MIP_STIP));
    CHECK_EQ(mip() & MIP_STIP, 0);
    puts_(failures ? "sstc: FAILED\n" : "sstc: 3 interrupts taken\n");
    return failures;
}
