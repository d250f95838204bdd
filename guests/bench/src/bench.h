/* The benchmark workloads' view of the guest runtimes: one header, so each
   workload source compiles unchanged for rv64, rv32 (guests/riscv) and the
   Cortex-M3/M4 (guests/arm-m).

   Each runtime's start code calls main and exits with its result (the
   test finisher on riscv-virt, semihosting on the MPS2 boards): 0 with no
   failed CHECK is success. Output goes to the board's UART. The helpers
   below print every value in the same format on all four targets, so the
   same computation gives the same line everywhere. */
#ifndef BENCH_H
#define BENCH_H

#ifdef __riscv
#include "../../riscv/src/lib.h"
typedef unsigned char u8;
typedef unsigned short u16;
typedef int s32;
typedef long long s64;
#else
#include "../../arm-m/src/lib.h"
#endif

/* A double-precision FPU: rv64gc/rv32gc have one, the Cortex-M4F's
   FPv4-SP does not (doubles there would be soft-float library calls). */
#if (defined(__riscv_flen) && __riscv_flen >= 64) || (defined(__ARM_FP) && (__ARM_FP & 8))
#define BENCH_HAVE_DOUBLE 1
#else
#define BENCH_HAVE_DOUBLE 0
#endif

/* For every array a workload writes: on riscv-virt, code and data share
   one RAM region, and a store to a page that holds translated code makes
   QEMU (and any emulator that tracks code pages) invalidate and
   retranslate it, which is not what these workloads measure. Aligning a
   section's first object to a page moves the whole section off the code's
   last page. */
#define BENCH_PAGE_ALIGNED __attribute__((aligned(4096)))

/* `digits` hex digits of v, most significant first, after "0x". */
static inline void bench_put_hex(u64 v, int digits) {
    putc_('0');
    putc_('x');
    for (int i = (digits - 1) * 4; i >= 0; i -= 4) {
        putc_("0123456789abcdef"[(v >> i) & 15]);
    }
}

/* "<label>0x%08x\n". */
static inline void report32(const char *label, u32 v) {
    puts_(label);
    bench_put_hex(v, 8);
    putc_('\n');
}

/* "<label>0x%016x\n". */
static inline void report64(const char *label, u64 v) {
    puts_(label);
    bench_put_hex(v, 16);
    putc_('\n');
}

/* "<label><decimal>\n" (32-bit: rv32 and the Cortex-M have no 64-bit
   division without libgcc). */
static inline void report_dec(const char *label, u32 v) {
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(label);
    while (n) {
        putc_(buf[--n]);
    }
    putc_('\n');
}

/* xorshift32: the workloads' deterministic input. The state must not be
   zero. */
static inline u32 xorshift32(u32 *state) {
    u32 x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* A 32-bit mix (MurmurHash3's finaliser): folds values into a checksum so
   that order and position matter. */
static inline u32 mix32(u32 h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

#endif
