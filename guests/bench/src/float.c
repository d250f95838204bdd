/* float: floating-point arithmetic (add, multiply, fused multiply-add where
   the compiler contracts, divide, square root, int-to-float conversion).
   A Mandelbrot set in single precision over a 192x144 grid (at most 256
   iterations a point), computed 4 times over, then an n-body simulation
   of the Sun and the four giant planets (the benchmarks game's data,
   200000 steps) in double precision where the FPU has it (rv64gc,
   rv32gc) and single precision on the Cortex-M4F.
   Results are printed as bit patterns so QEMU and Chimera must agree
   exactly. Checks: every Mandelbrot repetition gives the same results, the
   total iteration count is in a plausible range and the energy drifts by
   less than 1e-4 of itself (over these steps the integrator's own drift
   is about 5e-5 in both precisions). */
#include "bench.h"

#if BENCH_HAVE_DOUBLE
typedef double real;
#define REAL_NAME "double"
#else
typedef float real;
#define REAL_NAME "single"
#endif
/* A constant in the n-body precision (no double arithmetic on the M4). */
#define R(x) ((real)(x))

#define MANDEL_W 192
#define MANDEL_H 144
#define MANDEL_MAX 256
#define MANDEL_REPS 4
#define NBODY_STEPS 200000

static u32 float_bits(float f) {
    union {
        float f;
        u32 u;
    } v = {.f = f};
    return v.u;
}

/* "<label><bit pattern>\n", as wide as the type. */
static void report_real(const char *label, real r) {
#if BENCH_HAVE_DOUBLE
    union {
        double d;
        u64 u;
    } v = {.d = r};
    report64(label, v.u);
#else
    report32(label, float_bits(r));
#endif
}

static real real_sqrt(real x) {
#if BENCH_HAVE_DOUBLE
    return __builtin_sqrt(x);
#else
    return __builtin_sqrtf(x);
#endif
}

/* Escape iterations summed over the grid; *norms gets the sum of |z|^2
   where each point stopped. */
static u32 mandelbrot(float *norms) {
    const float x0 = -2.25f, y0 = -1.25f, step = 2.5f / MANDEL_H;
    u32 total = 0;
    float sum = 0.0f;
    for (int py = 0; py < MANDEL_H; py++) {
        float cy = y0 + (float)py * step;
        for (int px = 0; px < MANDEL_W; px++) {
            float cx = x0 + (float)px * step;
            float zx = 0.0f, zy = 0.0f, n2 = 0.0f;
            int it = 0;
            while (it < MANDEL_MAX) {
                float xx = zx * zx, yy = zy * zy;
                n2 = xx + yy;
                if (n2 > 4.0f) {
                    break;
                }
                zy = 2.0f * zx * zy + cy;
                zx = xx - yy + cx;
                it++;
            }
            total += (u32)it;
            sum += n2;
        }
    }
    *norms = sum;
    return total;
}

struct body {
    real x, y, z, vx, vy, vz, mass;
};

#define PI R(3.141592653589793)
#define SOLAR_MASS (R(4) * PI * PI)
#define DAYS_PER_YEAR R(365.24)
#define NBODIES 5

static struct body bodies[NBODIES] BENCH_PAGE_ALIGNED = {
    /* Sun */
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    /* Jupiter */
    {R(4.84143144246472090e+00), R(-1.16032004402742839e+00), R(-1.03622044471123109e-01),
     R(1.66007664274403694e-03) * DAYS_PER_YEAR, R(7.69901118419740425e-03) * DAYS_PER_YEAR,
     R(-6.90460016972063023e-05) * DAYS_PER_YEAR, R(9.54791938424326609e-04) * SOLAR_MASS},
    /* Saturn */
    {R(8.34336671824457987e+00), R(4.12479856412430479e+00), R(-4.03523417114321381e-01),
     R(-2.76742510726862411e-03) * DAYS_PER_YEAR, R(4.99852801234917238e-03) * DAYS_PER_YEAR,
     R(2.30417297573763929e-05) * DAYS_PER_YEAR, R(2.85885980666130812e-04) * SOLAR_MASS},
    /* Uranus */
    {R(1.28943695621391310e+01), R(-1.51111514016986312e+01), R(-2.23307578892655734e-01),
     R(2.96460137564761618e-03) * DAYS_PER_YEAR, R(2.37847173959480950e-03) * DAYS_PER_YEAR,
     R(-2.96589568540237556e-05) * DAYS_PER_YEAR, R(4.36624404335156298e-05) * SOLAR_MASS},
    /* Neptune */
    {R(1.53796971148509165e+01), R(-2.59193146099879641e+01), R(1.79258772950371181e-01),
     R(2.68067772490389322e-03) * DAYS_PER_YEAR, R(1.62824170038242295e-03) * DAYS_PER_YEAR,
     R(-9.51592254519715870e-05) * DAYS_PER_YEAR, R(5.15138902046611451e-05) * SOLAR_MASS},
};

/* Gives the Sun the momentum that makes the system's total zero. */
static void offset_momentum(void) {
    real px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static real energy(void) {
    real e = 0;
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        e += R(0.5) * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *c = &bodies[j];
            real dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            e -= b->mass * c->mass / real_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(real dt) {
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *c = &bodies[j];
            real dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            real d2 = dx * dx + dy * dy + dz * dz;
            real mag = dt / (d2 * real_sqrt(d2));
            b->vx -= dx * c->mass * mag;
            b->vy -= dy * c->mass * mag;
            b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag;
            c->vy += dy * b->mass * mag;
            c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        b->x += dt * b->vx;
        b->y += dt * b->vy;
        b->z += dt * b->vz;
    }
}

int main(void) {
    float norms;
    u32 iterations = mandelbrot(&norms);
    for (int rep = 1; rep < MANDEL_REPS; rep++) {
        /* The grid is computed again, not reused: the compiler is told
           memory may have changed. */
        __asm__ volatile("" ::: "memory");
        float again;
        CHECK_EQ(mandelbrot(&again), iterations);
        CHECK_EQ(float_bits(again), float_bits(norms));
    }
    report_dec("float: mandelbrot iterations ", iterations);
    report32("float: mandelbrot sum of |z|^2 bits ", float_bits(norms));
    /* Roughly a fifth of the points are inside the set and take all 256. */
    CHECK(iterations > MANDEL_W * MANDEL_H * 20 && iterations < MANDEL_W * MANDEL_H * 120);

    offset_momentum();
    real e0 = energy();
    for (int s = 0; s < NBODY_STEPS; s++) {
        advance(R(0.01));
    }
    real e1 = energy();
    puts_("float: n-body in " REAL_NAME "\n");
    report_real("float: energy before bits ", e0);
    report_real("float: energy after bits ", e1);
    report_real("float: jupiter x bits ", bodies[1].x);
    real drift = (e1 - e0) / e0;
    CHECK(drift < R(1e-4) && drift > R(-1e-4));
    return 0;
}
