/* sort: comparisons, swaps and recursion. Quicksort (median of three,
   insertion sort below 16 elements) of 16384 pseudo-random words, in
   rounds that cycle through three inputs: uniform, few distinct values
   (many equal keys) and nearly sorted (a few swaps in an ascending run).
   Each round checks the result is sorted and a permutation of the input
   (sum and xor kept), and folds it into a checksum. */
#include "bench.h"

#define WORDS 16384
#define ROUNDS 300 /* a multiple of 3: each input kind as often */

static u32 a[WORDS] BENCH_PAGE_ALIGNED;

static void insertion_sort(u32 *lo, u32 *hi) {
    for (u32 *p = lo + 1; p <= hi; p++) {
        u32 v = *p;
        u32 *q = p;
        while (q > lo && q[-1] > v) {
            *q = q[-1];
            q--;
        }
        *q = v;
    }
}

static void swap(u32 *x, u32 *y) {
    u32 t = *x;
    *x = *y;
    *y = t;
}

/* Sorts lo..hi inclusive. Recurses into the smaller side and loops on the
   larger, so the stack stays O(log n). */
static void quicksort(u32 *lo, u32 *hi) {
    while (hi - lo >= 16) {
        u32 *mid = lo + (hi - lo) / 2;
        if (*mid < *lo) {
            swap(mid, lo);
        }
        if (*hi < *lo) {
            swap(hi, lo);
        }
        if (*hi < *mid) {
            swap(hi, mid);
        }
        u32 pivot = *mid;
        /* Hoare partition: equal keys stop both scans, so runs of one
           value split evenly. */
        u32 *i = lo - 1, *j = hi + 1;
        for (;;) {
            do {
                i++;
            } while (*i < pivot);
            do {
                j--;
            } while (*j > pivot);
            if (i >= j) {
                break;
            }
            swap(i, j);
        }
        if (j - lo < hi - j) {
            quicksort(lo, j);
            lo = j + 1;
        } else {
            quicksort(j + 1, hi);
            hi = j;
        }
    }
    insertion_sort(lo, hi);
}

/* Round r's input: kind r % 3. */
static void fill(u32 round, u32 *rng) {
    switch (round % 3) {
    case 0:
        for (u32 i = 0; i < WORDS; i++) {
            a[i] = xorshift32(rng);
        }
        break;
    case 1:
        for (u32 i = 0; i < WORDS; i++) {
            a[i] = xorshift32(rng) & 0x3f;
        }
        break;
    default:
        for (u32 i = 0; i < WORDS; i++) {
            a[i] = i * 4 + (xorshift32(rng) & 7);
        }
        for (u32 k = 0; k < WORDS / 64; k++) {
            swap(&a[xorshift32(rng) % WORDS], &a[xorshift32(rng) % WORDS]);
        }
        break;
    }
}

int main(void) {
    u32 rng = 0x2545f491;
    u32 checksum = 0;
    for (u32 round = 0; round < ROUNDS; round++) {
        fill(round, &rng);
        u32 sum = 0, xr = 0;
        for (u32 i = 0; i < WORDS; i++) {
            sum += a[i];
            xr ^= a[i];
        }
        quicksort(a, a + WORDS - 1);
        u32 sum2 = 0, xr2 = 0, unsorted = 0, h = round;
        for (u32 i = 0; i < WORDS; i++) {
            sum2 += a[i];
            xr2 ^= a[i];
            unsorted += i && a[i - 1] > a[i];
            h = mix32(h ^ a[i]);
        }
        CHECK_EQ(unsorted, 0);
        CHECK_EQ(sum2, sum);
        CHECK_EQ(xr2, xr);
        checksum = mix32(checksum ^ h);
    }
    report32("sort: min of last round ", a[0]);
    report32("sort: max of last round ", a[WORDS - 1]);
    report32("sort: checksum ", checksum);
    return 0;
}
