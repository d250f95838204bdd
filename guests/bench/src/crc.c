/* crc: compute-bound, byte loads and a tight shift/xor loop. CRC-32 of a
   16 KiB pseudo-random buffer, 1200 times, bit by bit (about 1.4 billion
   instructions on rv64). Prints the CRCs folded together, as a 64-bit hex
   number (the line this workload has always printed); the CRC of
   "123456789" checks the algorithm. */
#include "bench.h"

static unsigned char buf[16384] BENCH_PAGE_ALIGNED;

static u32 crc32(const unsigned char *p, u32 len) {
    u32 crc = 0xffffffffu;
    for (u32 i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

int main(void) {
    CHECK_EQ(crc32((const unsigned char *)"123456789", 9), 0xcbf43926u);
    u32 seed = 1;
    for (u32 i = 0; i < sizeof buf; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char)(seed >> 16);
    }
    u32 acc = 0;
    for (int round = 0; round < 1200; round++) {
        buf[round] ^= (unsigned char)acc;
        acc ^= crc32(buf, sizeof buf);
    }
    report64("bench crc: ", acc);
    return 0;
}
