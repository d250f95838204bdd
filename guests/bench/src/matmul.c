/* matmul: multiply-accumulate over arrays (loads, mul, add, address
   arithmetic). 64x64 32-bit integer matrices, C = A x B with wrapping
   arithmetic in i-k-j order, repeated; each product is mixed back into A
   so no repetition can be skipped. A few entries of each product are
   recomputed as dot products (i-j-k order) to check it. */
#include "bench.h"

#define N 64
#define REPS 400

static u32 A[N][N] BENCH_PAGE_ALIGNED, B[N][N] BENCH_PAGE_ALIGNED, C[N][N] BENCH_PAGE_ALIGNED;

static void multiply(void) {
    for (int i = 0; i < N; i++) {
        u32 ai0 = A[i][0];
        for (int j = 0; j < N; j++) {
            C[i][j] = ai0 * B[0][j];
        }
        for (int k = 1; k < N; k++) {
            u32 aik = A[i][k];
            for (int j = 0; j < N; j++) {
                C[i][j] += aik * B[k][j];
            }
        }
    }
}

static u32 dot(int i, int j) {
    u32 s = 0;
    for (int k = 0; k < N; k++) {
        s += A[i][k] * B[k][j];
    }
    return s;
}

int main(void) {
    u32 rng = 0xdeadbeef;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            /* Small signed values: the first products do not wrap. */
            A[i][j] = (u32)((s32)(xorshift32(&rng) & 0xff) - 128);
            B[i][j] = (u32)((s32)(xorshift32(&rng) & 0xff) - 128);
        }
    }
    u32 checksum = 0;
    for (int rep = 0; rep < REPS; rep++) {
        multiply();
        /* Three entries, a different row and column each repetition. */
        for (int t = 0; t < 3; t++) {
            int i = (rep * 7 + t * 29) % N, j = (rep * 13 + t * 41) % N;
            CHECK_EQ(C[i][j], dot(i, j));
        }
        u32 h = (u32)rep;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                h = h * 31 + C[i][j];
                /* Keep A's entries small and varied: the next product
                   depends on this one. */
                A[i][j] = (C[i][j] ^ (C[i][j] >> 11)) & 0x3ff;
            }
        }
        checksum = mix32(checksum ^ h);
    }
    report32("matmul: C[0][0] ", C[0][0]);
    report32("matmul: C[63][63] ", C[N - 1][N - 1]);
    report32("matmul: checksum ", checksum);
    return 0;
}
