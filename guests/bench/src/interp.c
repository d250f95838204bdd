/* interp: an interpreter's dispatch loop (an indirect jump through a
   switch table per bytecode, a short handler, a load from a small stack).
   A stack machine with eight local variables runs three programs
   assembled at start-up: counting primes below 8000 by trial division,
   the total Collatz path length for 1..2000, and Fibonacci numbers modulo
   2^32, REPS times over. Each result is checked against its known value
   every time. */
#include "bench.h"

enum opcode {
    OP_PUSH,  /* imm: push imm */
    OP_LOAD,  /* n: push local n */
    OP_STORE, /* n: pop into local n */
    OP_INC,   /* n: local n += 1 */
    OP_DUP,
    OP_DROP,
    OP_ADD, /* binary ops pop b, then a, and push a op b */
    OP_SUB,
    OP_MUL,
    OP_REM, /* unsigned; b != 0 */
    OP_AND,
    OP_SHR,
    OP_LT, /* unsigned a < b: 1 or 0 */
    OP_EQ,
    OP_JMP, /* addr */
    OP_JZ,  /* addr: pop, jump if zero */
    OP_JNZ, /* addr: pop, jump if not zero */
    OP_HALT, /* the result is the top of the stack */
};

#define CODE_MAX 128
#define STACK_MAX 16
#define BAD_PROGRAM 0xdeadbeefu
#define REPS 6

struct program {
    u32 code[CODE_MAX];
    u32 len;
};

/* Runs p from its first instruction; returns the top of the stack at
   OP_HALT, or BAD_PROGRAM for an unknown opcode or a stack overflow. */
static u32 run(const struct program *p) {
    u32 stack[STACK_MAX];
    u32 locals[8];
    for (int i = 0; i < 8; i++) {
        locals[i] = 0;
    }
    u32 *sp = stack; /* the next free entry */
    const u32 *pc = p->code;
    for (;;) {
        u32 a, b;
        switch (*pc++) {
        case OP_PUSH:
            *sp++ = *pc++;
            break;
        case OP_LOAD:
            *sp++ = locals[*pc++ & 7];
            break;
        case OP_STORE:
            locals[*pc++ & 7] = *--sp;
            break;
        case OP_INC:
            locals[*pc++ & 7]++;
            break;
        case OP_DUP:
            a = sp[-1];
            *sp++ = a;
            break;
        case OP_DROP:
            sp--;
            break;
#define BINARY(opc, expr) \
    case opc:             \
        b = *--sp;        \
        a = sp[-1];       \
        sp[-1] = (expr);  \
        break;
            BINARY(OP_ADD, a + b)
            BINARY(OP_SUB, a - b)
            BINARY(OP_MUL, a * b)
            BINARY(OP_REM, a % b)
            BINARY(OP_AND, a & b)
            BINARY(OP_SHR, a >> (b & 31))
            BINARY(OP_LT, a < b)
            BINARY(OP_EQ, a == b)
#undef BINARY
        case OP_JMP:
            pc = p->code + *pc;
            break;
        case OP_JZ:
            pc = *--sp == 0 ? p->code + *pc : pc + 1;
            break;
        case OP_JNZ:
            pc = *--sp != 0 ? p->code + *pc : pc + 1;
            break;
        case OP_HALT:
            return sp[-1];
        default:
            return BAD_PROGRAM;
        }
        if (sp - stack >= STACK_MAX - 2) {
            return BAD_PROGRAM;
        }
    }
}

/* A tiny assembler: emit opcodes and operands, take the address of the
   next one as a label, and patch forward jumps once their target is
   known. */
static void emit(struct program *p, u32 word) {
    if (p->len < CODE_MAX) {
        p->code[p->len] = word;
    }
    p->len++;
}

static void emit1(struct program *p, enum opcode op, u32 arg) {
    emit(p, op);
    emit(p, arg);
}

static u32 here(const struct program *p) {
    return p->len;
}

/* A jump to a later label: returns the operand's address for patch(). */
static u32 jump_forward(struct program *p, enum opcode op) {
    emit1(p, op, 0);
    return p->len - 1;
}

static void patch(struct program *p, u32 operand) {
    p->code[operand] = p->len;
}

enum { N = 0, D = 1, COUNT = 2, X = 3, I = 4, A = 5, B = 6 };

/* count = number of primes below limit. */
static void assemble_primes(struct program *p, u32 limit) {
    emit1(p, OP_PUSH, 0);
    emit1(p, OP_STORE, COUNT);
    emit1(p, OP_PUSH, 2);
    emit1(p, OP_STORE, N);
    u32 next_n = here(p); /* while n < limit */
    emit1(p, OP_LOAD, N);
    emit1(p, OP_PUSH, limit);
    emit(p, OP_LT);
    u32 done = jump_forward(p, OP_JZ);
    emit1(p, OP_PUSH, 2);
    emit1(p, OP_STORE, D);
    u32 next_d = here(p); /* if n < d * d: prime */
    emit1(p, OP_LOAD, N);
    emit1(p, OP_LOAD, D);
    emit(p, OP_DUP);
    emit(p, OP_MUL);
    emit(p, OP_LT);
    u32 prime = jump_forward(p, OP_JNZ);
    emit1(p, OP_LOAD, N); /* if n % d == 0: composite */
    emit1(p, OP_LOAD, D);
    emit(p, OP_REM);
    u32 composite = jump_forward(p, OP_JZ);
    emit1(p, OP_INC, D);
    emit1(p, OP_JMP, next_d);
    patch(p, prime);
    emit1(p, OP_INC, COUNT);
    patch(p, composite);
    emit1(p, OP_INC, N);
    emit1(p, OP_JMP, next_n);
    patch(p, done);
    emit1(p, OP_LOAD, COUNT);
    emit(p, OP_HALT);
}

/* count = sum over n in 1..limit of the steps x -> x/2 or 3x+1 from n to 1. */
static void assemble_collatz(struct program *p, u32 limit) {
    emit1(p, OP_PUSH, 0);
    emit1(p, OP_STORE, COUNT);
    emit1(p, OP_PUSH, 1);
    emit1(p, OP_STORE, N);
    u32 next_n = here(p); /* while n < limit + 1 */
    emit1(p, OP_LOAD, N);
    emit1(p, OP_PUSH, limit + 1);
    emit(p, OP_LT);
    u32 done = jump_forward(p, OP_JZ);
    emit1(p, OP_LOAD, N);
    emit1(p, OP_STORE, X);
    u32 step = here(p); /* while x != 1 */
    emit1(p, OP_LOAD, X);
    emit1(p, OP_PUSH, 1);
    emit(p, OP_EQ);
    u32 reached = jump_forward(p, OP_JNZ);
    emit1(p, OP_INC, COUNT);
    emit1(p, OP_LOAD, X);
    emit1(p, OP_PUSH, 1);
    emit(p, OP_AND);
    u32 odd = jump_forward(p, OP_JNZ);
    emit1(p, OP_LOAD, X); /* even: x >>= 1 */
    emit1(p, OP_PUSH, 1);
    emit(p, OP_SHR);
    emit1(p, OP_STORE, X);
    emit1(p, OP_JMP, step);
    patch(p, odd); /* odd: x = 3x + 1 */
    emit1(p, OP_LOAD, X);
    emit(p, OP_DUP);
    emit(p, OP_DUP);
    emit(p, OP_ADD);
    emit(p, OP_ADD);
    emit1(p, OP_PUSH, 1);
    emit(p, OP_ADD);
    emit1(p, OP_STORE, X);
    emit1(p, OP_JMP, step);
    patch(p, reached);
    emit1(p, OP_INC, N);
    emit1(p, OP_JMP, next_n);
    patch(p, done);
    emit1(p, OP_LOAD, COUNT);
    emit(p, OP_HALT);
}

/* fib(count) modulo 2^32, with fib(0) = 0, fib(1) = 1. */
static void assemble_fib(struct program *p, u32 count) {
    emit1(p, OP_PUSH, 0);
    emit1(p, OP_STORE, A);
    emit1(p, OP_PUSH, 1);
    emit1(p, OP_STORE, B);
    emit1(p, OP_PUSH, 0);
    emit1(p, OP_STORE, I);
    u32 loop = here(p); /* while i != count: a, b = b, a + b */
    emit1(p, OP_LOAD, I);
    emit1(p, OP_PUSH, count);
    emit(p, OP_EQ);
    u32 done = jump_forward(p, OP_JNZ);
    emit1(p, OP_LOAD, A);
    emit1(p, OP_LOAD, B);
    emit(p, OP_DUP);
    emit1(p, OP_STORE, A);
    emit(p, OP_ADD);
    emit1(p, OP_STORE, B);
    emit1(p, OP_INC, I);
    emit1(p, OP_JMP, loop);
    patch(p, done);
    emit1(p, OP_LOAD, A);
    emit(p, OP_HALT);
}

static struct program primes BENCH_PAGE_ALIGNED, collatz, fib;

int main(void) {
    assemble_primes(&primes, 8000);
    assemble_collatz(&collatz, 2000);
    assemble_fib(&fib, 50000);
    CHECK(primes.len <= CODE_MAX && collatz.len <= CODE_MAX && fib.len <= CODE_MAX);

    u32 np = 0, steps = 0, f = 0;
    for (u32 rep = 0; rep < REPS; rep++) {
        /* The programs might have changed, as far as the compiler knows:
           every repetition runs them all again. */
        __asm__ volatile("" ::: "memory");
        np = run(&primes);
        CHECK_EQ(np, 1007);
        steps = run(&collatz);
        CHECK_EQ(steps, 134100);
        f = run(&fib);
        CHECK_EQ(f, 0xc0dc0fe5u);
    }
    report_dec("interp: primes below 8000 ", np);
    report_dec("interp: collatz steps for 1..2000 ", steps);
    report32("interp: fib(50000) mod 2^32 ", f);
    return 0;
}
