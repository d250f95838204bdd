/* Compute-bound workload: CRC-32 of a 16 KiB pseudo-random buffer, 40
   times, bit by bit (about 45 million instructions). Prints the CRC so the
   output can be compared with QEMU's. */
#include "../../riscv/src/lib.h"

static unsigned char buf[16384];

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

int main(ulong hartid) {
    (void)hartid;
    u32 seed = 1;
    for (u32 i = 0; i < sizeof buf; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char)(seed >> 16);
    }
    u32 acc = 0;
    for (int round = 0; round < 40; round++) {
        buf[round] ^= (unsigned char)acc;
        acc ^= crc32(buf, sizeof buf);
    }
    puts_("bench crc: ");
    put_hex(acc);
    puts_("\n");
    return 0;
}
