/* hash: multiply/xor/rotate chains and scattered table probes. Per round:
   FNV-1a (byte at a time) and MurmurHash3 x86_32 (word at a time) over a
   32 KiB buffer, then an open-addressing table of 16384 slots (linear
   probing, 128 KiB) filled with 12000 pseudo-random keys and probed for
   each of them and for as many absent ones. Known hashes of short strings
   check both functions; each lookup checks its value. */
#include "bench.h"

#define BUF_SIZE 32768
#define SLOTS 16384 /* a power of two */
#define KEYS 12000
#define ROUNDS 300

static u8 buf[BUF_SIZE] BENCH_PAGE_ALIGNED;
static u32 slot_key[SLOTS] BENCH_PAGE_ALIGNED; /* 0: empty */
static u32 slot_val[SLOTS] BENCH_PAGE_ALIGNED;

static u32 fnv1a(const u8 *p, u32 n) {
    u32 h = 0x811c9dc5u;
    for (u32 i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

static u32 rotl32(u32 x, int r) {
    return (x << r) | (x >> (32 - r));
}

static u32 murmur3_32(const u8 *p, u32 n, u32 seed) {
    const u32 c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
    u32 h = seed;
    u32 blocks = n / 4;
    for (u32 i = 0; i < blocks; i++) {
        const u8 *b = p + 4 * i;
        u32 k = b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64u;
    }
    const u8 *tail = p + 4 * blocks;
    u32 k = 0;
    switch (n & 3) {
    case 3:
        k ^= (u32)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (u32)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= n;
    return mix32(h);
}

/* The value stored with a key, so lookups can be checked. */
static u32 value_of(u32 key) {
    return key * 0x9e3779b9u + 1;
}

/* Inserts or updates key (non-zero); returns 1 if it was new. */
static int table_put(u32 key, u32 val) {
    u32 i = mix32(key) & (SLOTS - 1);
    while (slot_key[i] != 0) {
        if (slot_key[i] == key) {
            slot_val[i] = val;
            return 0;
        }
        i = (i + 1) & (SLOTS - 1);
    }
    slot_key[i] = key;
    slot_val[i] = val;
    return 1;
}

/* Returns the slot holding key, or -1. */
static int table_find(u32 key) {
    u32 i = mix32(key) & (SLOTS - 1);
    while (slot_key[i] != 0) {
        if (slot_key[i] == key) {
            return (int)i;
        }
        i = (i + 1) & (SLOTS - 1);
    }
    return -1;
}

int main(void) {
    CHECK_EQ(fnv1a((const u8 *)"a", 1), 0xe40c292cu);
    CHECK_EQ(fnv1a((const u8 *)"foobar", 6), 0xbf9cf968u);
    CHECK_EQ(murmur3_32((const u8 *)"hello", 5, 0), 0x248bfa47u);
    CHECK_EQ(murmur3_32((const u8 *)"The quick brown fox jumps over the lazy dog", 43, 0x9747b28cu), 0x2fa826cdu);

    u32 rng = 0x12345678;
    for (u32 i = 0; i < BUF_SIZE; i++) {
        buf[i] = (u8)xorshift32(&rng);
    }
    u32 checksum = 0, distinct = 0, found = 0, missing = 0;
    for (u32 round = 0; round < ROUNDS; round++) {
        u32 f = fnv1a(buf, BUF_SIZE);
        u32 m = murmur3_32(buf, BUF_SIZE - round, round);
        checksum = mix32(checksum ^ f) + m;
        buf[f & (BUF_SIZE - 1)] ^= (u8)m; /* next round hashes other data */

        for (u32 i = 0; i < SLOTS; i++) {
            slot_key[i] = 0;
        }
        /* Keys with the low bit set are inserted; their neighbours with it
           clear are the absent ones. */
        u32 key_rng = 0x9e3779b9u + round;
        for (u32 i = 0; i < KEYS; i++) {
            u32 key = xorshift32(&key_rng) | 1;
            distinct += (u32)table_put(key, value_of(key));
        }
        key_rng = 0x9e3779b9u + round;
        for (u32 i = 0; i < KEYS; i++) {
            u32 key = xorshift32(&key_rng) | 1;
            int s = table_find(key);
            if (s >= 0 && slot_val[s] == value_of(key)) {
                found++;
                checksum += (u32)s;
            }
            missing += table_find(key & ~1u) < 0;
        }
    }
    CHECK_EQ(found, ROUNDS * KEYS);
    CHECK_EQ(missing, ROUNDS * KEYS);
    report_dec("hash: distinct keys ", distinct);
    report32("hash: checksum ", checksum);
    return 0;
}
