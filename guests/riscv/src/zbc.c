/* Carry-less multiplication (Zbc): clmul, clmulh and clmulr on edge
   operands (zero, one, all ones, the top bit, alternating bits) and
   pseudo-random ones; each result printed, so the output is compared
   with QEMU's bit for bit. */
#include "lib.h"

static ulong clmul(ulong a, ulong b) {
    ulong r;
    __asm__(".insn r 0x33, 1, 5, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static ulong clmulr(ulong a, ulong b) {
    ulong r;
    __asm__(".insn r 0x33, 2, 5, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static ulong clmulh(ulong a, ulong b) {
    ulong r;
    __asm__(".insn r 0x33, 3, 5, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

int main(ulong hartid) {
    (void)hartid;
    ulong top = (ulong)1 << (sizeof(ulong) * 8 - 1);
    ulong edges[] = {0, 1, 2, 3, ~(ulong)0, top, top | 1, (ulong)0x5555555555555555ull,
                     (ulong)0xaaaaaaaaaaaaaaaaull, (ulong)0x0123456789abcdefull};
    int n = sizeof(edges) / sizeof(edges[0]);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            put_hex(clmul(edges[i], edges[j]));
            putc_(' ');
            put_hex(clmulh(edges[i], edges[j]));
            putc_(' ');
            put_hex(clmulr(edges[i], edges[j]));
            putc_('\n');
        }
    }
    /* A CRC-style fold over pseudo-random words. */
    ulong x = (ulong)0x9e3779b97f4a7c15ull, acc = 0;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc ^= clmul(acc ^ x, 0x1edc6f41) ^ clmulh(x, acc | 1) ^ clmulr(acc, x);
    }
    puts_("zbc: fold ");
    put_hex(acc);
    puts_("\n");
    return 0;
}
