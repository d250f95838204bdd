#include "mailbox.h"

/* Bitwise CRC-32 (IEEE 802.3, reflected), as zlib computes it. */
u32 crc32(const volatile unsigned char *p, u32 len) {
    u32 crc = 0xffffffffu;
    for (u32 i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}
