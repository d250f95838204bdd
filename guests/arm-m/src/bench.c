/* bench: a compute-bound workload for speed comparisons (about 28 million
   instructions): CRC-32 of a 64 KiB buffer, bit by bit once and through a
   table several times, and a heap sort of 16384 words. Prints only
   results; times are for the harness to take. */
#include "lib.h"

#define BUF_SIZE 65536
#define TABLE_PASSES 48
#define SORT_WORDS 16384

static u8 buf[BUF_SIZE];
static u32 crc_table[256];
static u32 words[SORT_WORDS];

static u32 rng_state = 0x2545f491;

static u32 xorshift32(void) {
    u32 x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void make_table(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        }
        crc_table[i] = c;
    }
}

static u32 crc32_bitwise(const u8 *p, u32 n) {
    u32 c = 0xffffffff;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        }
    }
    return ~c;
}

static u32 crc32_table(const u8 *p, u32 n) {
    u32 c = 0xffffffff;
    while (n--) {
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    }
    return ~c;
}

static void sift_down(u32 *a, u32 root, u32 n) {
    for (;;) {
        u32 child = 2 * root + 1;
        if (child >= n) {
            return;
        }
        if (child + 1 < n && a[child + 1] > a[child]) {
            child++;
        }
        if (a[root] >= a[child]) {
            return;
        }
        u32 t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void heap_sort(u32 *a, u32 n) {
    for (u32 i = n / 2; i-- > 0;) {
        sift_down(a, i, n);
    }
    for (u32 end = n - 1; end > 0; end--) {
        u32 t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

int main(void) {
    puts_("bench: crc32 of 64 KiB (1 bitwise + ");
    put_dec(TABLE_PASSES);
    puts_(" table passes), heap sort of ");
    put_dec(SORT_WORDS);
    puts_(" words\n");
    make_table();
    static const char check[] = "123456789";
    u32 c = crc32_table((const u8 *)check, 9);
    puts_("crc32(\"123456789\") = ");
    put_hex(c);
    puts_("\n");
    CHECK_EQ(c, 0xcbf43926);
    CHECK_EQ(crc32_bitwise((const u8 *)check, 9), 0xcbf43926);

    for (u32 i = 0; i < BUF_SIZE; i += 4) {
        u32 x = xorshift32();
        buf[i] = (u8)x;
        buf[i + 1] = (u8)(x >> 8);
        buf[i + 2] = (u8)(x >> 16);
        buf[i + 3] = (u8)(x >> 24);
    }
    u32 bitwise = crc32_bitwise(buf, BUF_SIZE);
    puts_("bitwise crc32 = ");
    put_hex(bitwise);
    puts_("\n");
    u32 acc = 0;
    for (u32 pass = 0; pass < TABLE_PASSES; pass++) {
        c = crc32_table(buf, BUF_SIZE);
        if (pass == 0) {
            CHECK_EQ(c, bitwise);
        }
        acc ^= c;
        buf[(pass * 2654435761u) & (BUF_SIZE - 1)] ^= (u8)c; /* next pass sees other data */
    }
    puts_("table crc32 last = ");
    put_hex(c);
    puts_(" xor of all = ");
    put_hex(acc);
    puts_("\n");

    u32 sum = 0, xr = 0;
    for (u32 i = 0; i < SORT_WORDS; i++) {
        words[i] = xorshift32();
        sum += words[i];
        xr ^= words[i];
    }
    heap_sort(words, SORT_WORDS);
    u32 sum2 = 0, xr2 = 0, sorted = 1;
    for (u32 i = 0; i < SORT_WORDS; i++) {
        sum2 += words[i];
        xr2 ^= words[i];
        if (i && words[i - 1] > words[i]) {
            sorted = 0;
        }
    }
    puts_("sorted ");
    put_dec(sorted);
    puts_(" min ");
    put_hex(words[0]);
    puts_(" median ");
    put_hex(words[SORT_WORDS / 2]);
    puts_(" max ");
    put_hex(words[SORT_WORDS - 1]);
    puts_(" sum ");
    put_hex(sum2);
    puts_("\n");
    CHECK(sorted);
    CHECK_EQ(sum2, sum);
    CHECK_EQ(xr2, xr);
    finish("bench");
}
