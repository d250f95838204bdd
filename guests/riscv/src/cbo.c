/* Cache-block operations (Zicbom, Zicboz), the prefetch hints (Zicbop)
   and pause (Zihintpause), from M mode: cbo.zero clears the 64-byte
   block around its address and nothing else; clean, flush and inval
   leave memory as it is; the hints do nothing; the envcfg enables of
   the cache-block operations read back as written. */
#include "lib.h"

static unsigned char buf[256] __attribute__((aligned(64)));

#define CBO(imm, addr) __asm__ volatile(".insn i 0x0f, 2, x0, %0, " #imm ::"r"(addr) : "memory")

static void fill(unsigned char v) {
    for (int i = 0; i < 256; i++) {
        buf[i] = v;
    }
}

/* How many bytes of buf[from..to) are `v`. */
static int count(int from, int to, unsigned char v) {
    int n = 0;
    for (int i = from; i < to; i++) {
        n += buf[i] == v;
    }
    return n;
}

int main(ulong hartid) {
    (void)hartid;
    fill(0xaa);
    CBO(4, buf + 70); /* cbo.zero: bytes 64..127 */
    CHECK_EQ(count(0, 64, 0xaa), 64);
    CHECK_EQ(count(64, 128, 0), 64);
    CHECK_EQ(count(128, 256, 0xaa), 128);
    CBO(4, buf + 255); /* the last block, from its last byte */
    CHECK_EQ(count(192, 256, 0), 64);
    CHECK_EQ(count(128, 192, 0xaa), 64);

    fill(0x55);
    CBO(1, buf + 3);  /* cbo.clean */
    CBO(2, buf + 64); /* cbo.flush */
    CBO(0, buf + 130); /* cbo.inval */
    CHECK_EQ(count(0, 256, 0x55), 256);

    /* prefetch.i/r/w (ori x0 with offsets) and pause: nothing happens. */
    __asm__ volatile(".insn i 0x13, 6, x0, %0, 0x40" ::"r"(buf));
    __asm__ volatile(".insn i 0x13, 6, x0, %0, 0x41" ::"r"(buf));
    __asm__ volatile(".insn i 0x13, 6, x0, %0, 0x43" ::"r"(buf));
    __asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010");
    CHECK_EQ(count(0, 256, 0x55), 256);

    /* CBZE, CBCFE and CBIE (01) in menvcfg and senvcfg. */
    ulong bits = 0xd0, m, s;
    __asm__ volatile("csrs 0x30a, %0" ::"r"(bits));
    __asm__ volatile("csrs 0x10a, %0" ::"r"(bits));
    __asm__ volatile("csrr %0, 0x30a" : "=r"(m));
    __asm__ volatile("csrr %0, 0x10a" : "=r"(s));
    CHECK_EQ(m & 0xf1, 0xd0);
    CHECK_EQ(s & 0xf1, 0xd0);
    puts_(failures ? "cbo: FAILED\n" : "cbo: blocks zeroed, cleaned, flushed\n");
    return failures;
}
