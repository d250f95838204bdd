/* memory: loads and stores over 1 MiB of RAM, little arithmetic. A
   512 KiB data buffer is streamed (read, and a transformed copy of one
   half into the other), walked with strides of 64 B, 1 KiB and 4 KiB + 4 B
   (read-modify-write), and a 512 KiB array of indices forming one random
   cycle (Sattolo's shuffle) is chased, each step a dependent load plus a
   store into the data buffer. The chase must come back to its start after
   exactly one lap; the strided walks must visit every word once.
   QEMU maps Cortex-M memory in 1 KiB pages, so there the random chase
   misses QEMU's TLB at nearly every step and this workload runs several
   times slower than on RISC-V's 4 KiB pages. */
#include "bench.h"

#define WORDS 131072 /* 512 KiB of u32 per array; a power of two */
/* QEMU takes about 13 times as long for a round on the Cortex-M boards as
   on riscv-virt (the 1 KiB pages above), so the Cortex-M images do fewer
   rounds and run for a comparable time; their output differs from the
   RISC-V images'. */
#ifdef __riscv
#define ROUNDS 64
#else
#define ROUNDS 10
#endif
#define LAPS 2

static u32 data[WORDS] BENCH_PAGE_ALIGNED;
static u32 next[WORDS] BENCH_PAGE_ALIGNED;

/* next[] as a single cycle through all WORDS entries. */
static void make_cycle(u32 *rng) {
    for (u32 i = 0; i < WORDS; i++) {
        next[i] = i;
    }
    for (u32 i = WORDS - 1; i > 0; i--) {
        u32 j = xorshift32(rng) % i; /* j < i: Sattolo, one cycle */
        u32 t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
}

static u32 stream(void) {
    u32 sum = 0;
    for (u32 i = 0; i < WORDS; i++) {
        sum += data[i];
    }
    for (u32 i = 0; i < WORDS / 2; i++) {
        data[WORDS / 2 + i] = data[i] ^ (sum + i);
    }
    return sum;
}

/* Every word once, in order of stride then offset; returns the words
   visited. */
static u32 strided(u32 stride, u32 *acc) {
    u32 visits = 0, a = *acc;
    for (u32 start = 0; start < stride; start++) {
        for (u32 i = start; i < WORDS; i += stride) {
            a += data[i];
            data[i] = a ^ i;
            visits++;
        }
    }
    *acc = a;
    return visits;
}

/* One lap of the cycle from `from`; returns where it ends (== from). */
static u32 chase(u32 from, u32 *acc) {
    u32 i = from, a = *acc;
    for (u32 n = 0; n < WORDS; n++) {
        i = next[i];
        a += data[i];
        data[i] = a;
    }
    *acc = a;
    return i;
}

int main(void) {
    u32 rng = 0x0badf00d;
    for (u32 i = 0; i < WORDS; i++) {
        data[i] = xorshift32(&rng);
    }
    make_cycle(&rng);
    u32 acc = 0, checksum = 0;
    for (u32 round = 0; round < ROUNDS; round++) {
        checksum = mix32(checksum ^ stream());
        CHECK_EQ(strided(16, &acc), WORDS);        /* 64 B */
        CHECK_EQ(strided(256, &acc), WORDS);       /* 1 KiB */
        CHECK_EQ(strided(1024 + 1, &acc), WORDS);  /* 4 KiB + 4 B */
        checksum = mix32(checksum ^ acc);
        u32 from = (round * 40503u) & (WORDS - 1);
        for (u32 lap = 0; lap < LAPS; lap++) {
            CHECK_EQ(chase(from, &acc), from);
        }
        checksum = mix32(checksum ^ acc);
    }
    report32("memory: data[0] ", data[0]);
    report32("memory: checksum ", checksum);
    return 0;
}
