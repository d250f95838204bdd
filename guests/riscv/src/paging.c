/* Supervisor and user modes with paging: Sv39 on rv64, Sv32 on rv32.
   M mode builds the page tables, delegates exceptions and the supervisor
   software interrupt with medeleg/mideleg, checks MPRV, and mrets to S.
   S mode turns on translation, takes and handles load, store and fetch
   page faults (mapping pages on demand, upgrading permissions), checks
   the A/D bits the hardware sets, SUM, MXR, a misaligned superpage and a
   delegated interrupt, then runs a U-mode program that makes ecalls and
   trips over the privilege rules. S mode ends with an ecall to M. */
#include "lib.h"

#define PTE_V 0x01ul
#define PTE_R 0x02ul
#define PTE_W 0x04ul
#define PTE_X 0x08ul
#define PTE_U 0x10ul
#define PTE_A 0x40ul
#define PTE_D 0x80ul
#define PTE(pa, fl) (((((ulong)(pa)) >> 12) << 10) | (fl))

#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define MSTATUS_MPP_S (1ul << 11)
#define MSTATUS_MPP (3ul << 11)
#define MSTATUS_MPRV (1ul << 17)
#define SSTATUS_SUM (1ul << 18)
#define SSTATUS_MXR (1ul << 19)

#if __riscv_xlen == 64
#define VPN_BITS 9
#define LEVELS 3
#define SATP_MODE (8ul << 60)
#define MODE_NAME "sv39"
#else
#define VPN_BITS 10
#define LEVELS 2
#define SATP_MODE (1ul << 31)
#define MODE_NAME "sv32"
#endif
#define ENTRIES (4096 / sizeof(ulong))
/* The level of a superpage in the root table: 1 GiB on Sv39, 4 MiB on Sv32. */
#define SUPER_SHIFT (12 + VPN_BITS * (LEVELS - 1))

/* Virtual addresses of the test pages: away from the identity map. */
#define VA_BASE 0x40000000ul
#define VA_AD (VA_BASE + 0x0000)     /* mapped RW with A and D clear */
#define VA_DEMAND (VA_BASE + 0x1000) /* unmapped until a load faults */
#define VA_RO (VA_BASE + 0x2000)     /* read-only until a store faults */
#define VA_CODE (VA_BASE + 0x3000)   /* unmapped until a fetch faults */
#define VA_XONLY (VA_BASE + 0x4000)  /* execute-only: MXR */
#define VA_UDATA (VA_BASE + 0x5000)  /* a user page: SUM */
#define VA_ALIAS1 (VA_BASE + 0x6000) /* one code page at two addresses */
#define VA_ALIAS2 (VA_BASE + 0x7000)
#define VA_UCODE (VA_BASE + 0x10000) /* the user program, two pages */
#define VA_USTACK (VA_BASE + 0x20000)
#define VA_MISALIGNED 0xc0000000ul   /* a misaligned superpage */

static ulong tables[8][ENTRIES] __attribute__((aligned(4096)));
static unsigned used_tables = 1; /* tables[0] is the root */
static unsigned char pages[8][4096] __attribute__((aligned(4096)));
static unsigned char trap_stack[2048] __attribute__((aligned(16)));

static volatile ulong s_cause, s_tval, s_epc, s_traps;
/* What S asks M for with an ecall. */
#define M_OPEN_COUNTERS 1
#define M_FINISH 2
#define M_TRAP_VM 3 /* set TVM and TW */
#define M_UNTRAP_VM 4
static volatile ulong m_request;
static volatile ulong user_printed, user_exit_code;
/* A fault on this page maps it (to demand_pa with demand_flags). */
static volatile ulong demand_va, demand_pa, demand_flags;

static ulong *root(void) { return tables[0]; }

/* The leaf entry of `va` in 4 KiB pages, making tables as needed. */
static ulong *leaf(ulong va) {
    ulong *t = root();
    for (int level = LEVELS - 1; level > 0; level--) {
        ulong *e = &t[(va >> (12 + VPN_BITS * level)) & (ENTRIES - 1)];
        if (!(*e & PTE_V)) {
            *e = PTE(tables[used_tables++], PTE_V);
        }
        t = (ulong *)((*e >> 10) << 12);
    }
    return &t[(va >> 12) & (ENTRIES - 1)];
}

static void map(ulong va, const void *pa, ulong flags) {
    *leaf(va) = PTE(pa, flags | PTE_V);
}

static void map_super(ulong va, ulong pa, ulong flags) {
    root()[(va >> SUPER_SHIFT) & (ENTRIES - 1)] = PTE(pa, flags | PTE_V);
}

static void sfence(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

static unsigned insn_len(ulong epc) {
    return (*(volatile unsigned short *)epc & 3) == 3 ? 4 : 2;
}

/* ---- machine mode ---- */

ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    if (cause == 9 && m_request == M_OPEN_COUNTERS) {
        /* cycle and time for S; S opens time to U. */
        __asm__ volatile("csrw mcounteren, %0" ::"r"(3ul));
        return epc + 4;
    }
    if (cause == 9 && (m_request == M_TRAP_VM || m_request == M_UNTRAP_VM)) {
        /* TSR is left alone: the S handler returns with sret. */
        ulong bits = (1ul << 20) | (1ul << 21);
        if (m_request == M_TRAP_VM) {
            __asm__ volatile("csrs mstatus, %0" ::"r"(bits));
        } else {
            __asm__ volatile("csrc mstatus, %0" ::"r"(bits));
        }
        return epc + 4;
    }
    if (cause == 9 && m_request == M_FINISH) {
        ulong mstatus;
        __asm__ volatile("csrr %0, mstatus" : "=r"(mstatus));
        CHECK_EQ((mstatus & MSTATUS_MPP) >> 11, 1);
        puts_(failures ? "paging: FAILED\n" : "paging: all passed\n");
        exit_with(0);
    }
    puts_("unexpected M trap ");
    put_dec(cause);
    puts_(" at ");
    put_hex(epc);
    puts_("\n");
    fail(98);
}

/* ---- supervisor mode ---- */

/* The S trap vector: switches to trap_stack through sscratch, saves the
   integer registers, calls s_trap_handler(frame) and srets. */
#if __riscv_xlen == 64
#define SAVE "sd"
#define LOAD "ld"
#define W "8"
#else
#define SAVE "sw"
#define LOAD "lw"
#define W "4"
#endif
__asm__(
    ".text\n.align 4\n.globl s_trap_entry\ns_trap_entry:\n"
    "csrrw sp, sscratch, sp\n"
    "addi sp, sp, -32*" W "\n"
    ".irp r,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    SAVE " x\\r, \\r*" W "(sp)\n"
    ".endr\n"
    "csrr t0, sscratch\n" SAVE " t0, 2*" W "(sp)\n"
    "mv a0, sp\n"
    "call s_trap_handler\n"
    "addi t0, sp, 32*" W "\n"
    "csrw sscratch, t0\n"
    ".irp r,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    LOAD " x\\r, \\r*" W "(sp)\n"
    ".endr\n"
    LOAD " sp, 2*" W "(sp)\n"
    "sret\n"

    /* enter_user(entry, user_sp): sret to U; returns when the program
       makes the exit call (which srets to user_exit in S mode). */
    ".globl enter_user\nenter_user:\n"
    "addi sp, sp, -32*" W "\n"
    ".irp r,1,8,9,18,19,20,21,22,23,24,25,26,27\n"
    SAVE " x\\r, (\\r-1)*" W "(sp)\n"
    ".endr\n"
    "la t0, saved_ksp\n" SAVE " sp, 0(t0)\n"
    "csrw sepc, a0\n"
    "li t0, 0x100\ncsrc sstatus, t0\n"
    "mv sp, a1\n"
    "sret\n"
    ".globl user_exit\nuser_exit:\n"
    "la t0, saved_ksp\n" LOAD " sp, 0(t0)\n"
    ".irp r,1,8,9,18,19,20,21,22,23,24,25,26,27\n"
    LOAD " x\\r, (\\r-1)*" W "(sp)\n"
    ".endr\n"
    "addi sp, sp, 32*" W "\n"
    "ret\n"
    ".data\n.align 3\nsaved_ksp: .dword 0\n.text\n");

void s_trap_entry(void);
void enter_user(ulong entry, ulong sp);
void user_exit(void);

ulong s_trap_handler_impl(ulong *f);

void s_trap_handler(ulong *f) {
    ulong epc = s_trap_handler_impl(f);
    __asm__ volatile("csrw sepc, %0" ::"r"(epc));
}

ulong s_trap_handler_impl(ulong *f) {
    ulong cause, epc, tval, sstatus;
    __asm__ volatile("csrr %0, scause" : "=r"(cause));
    __asm__ volatile("csrr %0, sepc" : "=r"(epc));
    __asm__ volatile("csrr %0, stval" : "=r"(tval));
    __asm__ volatile("csrr %0, sstatus" : "=r"(sstatus));
    s_cause = cause;
    s_tval = tval;
    s_epc = epc;
    s_traps++;
    if ((slong)cause < 0) {
        /* The supervisor software interrupt: clear it. */
        __asm__ volatile("csrc sip, %0" ::"r"(2ul));
        return epc;
    }
    int from_user = !(sstatus & SSTATUS_SPP);
    if (cause == 8) {
        /* ecall from U: a7 = 1 print a0, 2 exit with a0. */
        ulong a0 = f[10], a7 = f[17];
        if (a7 == 1) {
            puts_("user says ");
            put_hex(a0);
            puts_("\n");
            user_printed = a0;
            return epc + 4;
        }
        user_exit_code = a0;
        __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SPP));
        return (ulong)user_exit;
    }
    if ((cause == 12 || cause == 13 || cause == 15) && demand_va &&
        (tval & ~0xffful) == demand_va) {
        map(demand_va, (void *)demand_pa, demand_flags);
        demand_va = 0;
        sfence();
        return epc; /* retry */
    }
    if (cause == 12) {
        puts_("unexpected fetch fault at ");
        put_hex(tval);
        puts_("\n");
        fail(97);
    }
    /* Skip the instruction (a user one is read with SUM). */
    unsigned len;
    if (from_user) {
        __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SUM));
        len = insn_len(epc);
        __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SUM));
    } else {
        len = insn_len(epc);
    }
    return epc + len;
}

static ulong load(ulong va) { return *(volatile ulong *)va; }
static void store(ulong va, ulong v) { *(volatile ulong *)va = v; }

static ulong traps_before;
static void expect_trap(ulong cause, ulong tval, const char *what) {
    if (s_traps != traps_before + 1 || s_cause != cause || s_tval != tval) {
        puts_("  expected ");
        puts_(what);
        puts_(" cause ");
        put_dec(cause);
        puts_(", got cause ");
        put_dec(s_cause);
        puts_(" tval ");
        put_hex(s_tval);
        puts_(" traps ");
        put_dec(s_traps - traps_before);
        puts_("\n");
        failures++;
    } else {
        puts_("  ");
        puts_(what);
        puts_(": cause ");
        put_dec(cause);
        puts_("\n");
    }
    traps_before = s_traps;
}

static void expect_no_trap(void) {
    CHECK_EQ(s_traps, traps_before);
    traps_before = s_traps;
}

/* The user program: self-contained (no calls, no strings), mapped at
   VA_UCODE. */
#define SYSCALL(n, arg) ({ \
    register ulong _a0 __asm__("a0") = (arg); \
    register ulong _a7 __asm__("a7") = (n); \
    __asm__ volatile("ecall" : "+r"(_a0) : "r"(_a7) : "memory"); \
    _a0; })

__attribute__((section(".text.user"), aligned(4096), noinline)) void user_main(void) {
    volatile ulong *data = (volatile ulong *)VA_UDATA;
    ulong v;
    SYSCALL(1, data[0]);
    data[1] = data[0] + 1;
    /* A supervisor page: a load page fault, skipped by S. */
    v = *(volatile ulong *)0x80000000ul;
    /* S-mode CSRs and counters S did not open: illegal instructions. */
    __asm__ volatile("csrr %0, sstatus" : "=r"(v));
    __asm__ volatile("rdcycle %0" : "=r"(v));
    __asm__ volatile("wfi");
    /* The timer S opened. */
    __asm__ volatile("rdtime %0" : "=r"(v));
    SYSCALL(1, 0x600d);
    SYSCALL(2, 7);
    for (;;) {
    }
}

static void s_main(void) {
    puts_("S mode\n");
    ulong v;
    /* Translation on, from S mode. */
    ulong satp = SATP_MODE | ((ulong)root() >> 12);
    __asm__ volatile("csrw satp, %0" ::"r"(satp));
    sfence();
    __asm__ volatile("csrr %0, satp" : "=r"(v));
    CHECK_EQ(v, satp);
    traps_before = s_traps;

    puts_("accessed and dirty\n");
    volatile ulong *pte = leaf(VA_AD);
    CHECK_EQ(*pte & (PTE_A | PTE_D), 0);
    CHECK_EQ(load(VA_AD), 0x1111);
    CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A);
    store(VA_AD + 8, 0x2222);
    CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A | PTE_D);
    CHECK_EQ(*(volatile ulong *)(pages[0] + 8), 0x2222);
    expect_no_trap();

    puts_("page faults\n");
    demand_va = VA_DEMAND;
    demand_pa = (ulong)pages[1];
    demand_flags = PTE_R | PTE_W;
    CHECK_EQ(load(VA_DEMAND + 0x10), 0x3333);
    expect_trap(13, VA_DEMAND + 0x10, "load page fault, mapped on demand");
    store(VA_RO, 5);
    expect_trap(15, VA_RO, "store to a read-only page, skipped");
    CHECK_EQ(load(VA_RO), 0x4444);
    demand_va = VA_RO;
    demand_pa = (ulong)pages[2];
    demand_flags = PTE_R | PTE_W;
    store(VA_RO + 0x18, 6);
    expect_trap(15, VA_RO + 0x18, "store page fault, made writable");
    CHECK_EQ(*(volatile ulong *)(pages[2] + 0x18), 6);
    demand_va = VA_CODE;
    demand_pa = (ulong)pages[3];
    demand_flags = PTE_R | PTE_X;
    ulong (*code)(void) = (ulong(*)(void))VA_CODE;
    CHECK_EQ(code(), 42);
    expect_trap(12, VA_CODE, "fetch page fault, mapped");
    CHECK_EQ(s_epc, VA_CODE);
    /* The same code at two virtual addresses: each returns its own pc. */
    ulong (*alias1)(void) = (ulong(*)(void))VA_ALIAS1;
    ulong (*alias2)(void) = (ulong(*)(void))VA_ALIAS2;
    CHECK_EQ(alias1(), VA_ALIAS1);
    CHECK_EQ(alias2(), VA_ALIAS2);
    expect_no_trap();
    load(VA_MISALIGNED + 0x120);
    expect_trap(13, VA_MISALIGNED + 0x120, "misaligned superpage");

    puts_("MXR and SUM\n");
    load(VA_XONLY);
    expect_trap(13, VA_XONLY, "load from execute-only");
    __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_MXR));
    CHECK_EQ(load(VA_XONLY), 0x5555);
    expect_no_trap();
    __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_MXR));
    load(VA_UDATA);
    expect_trap(13, VA_UDATA, "load from a user page");
    __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SUM));
    CHECK_EQ(load(VA_UDATA), 0x6666);
    expect_no_trap();
    __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SUM));

    puts_("counters\n");
    __asm__ volatile("rdtime a5" ::: "a5");
    expect_trap(2, 0xc01027f3, "rdtime without mcounteren");
    m_request = M_OPEN_COUNTERS;
    __asm__ volatile("ecall");
    __asm__ volatile("rdtime a5" ::: "a5");
    __asm__ volatile("rdcycle a5" ::: "a5");
    expect_no_trap();
    __asm__ volatile("csrw scounteren, %0" ::"r"(2ul));

    puts_("TVM and TW\n");
    m_request = M_TRAP_VM;
    __asm__ volatile("ecall");
    __asm__ volatile("csrr a5, satp" ::: "a5");
    expect_trap(2, 0x180027f3, "satp with TVM");
    __asm__ volatile("sfence.vma" ::: "memory");
    expect_trap(2, 0x12000073, "sfence.vma with TVM");
    __asm__ volatile("wfi");
    expect_trap(2, 0x10500073, "wfi with TW");
    m_request = M_UNTRAP_VM;
    __asm__ volatile("ecall");
    __asm__ volatile("csrr %0, satp" : "=r"(v));
    CHECK_EQ(v, satp);
    expect_no_trap();

    puts_("supervisor interrupt\n");
    __asm__ volatile("csrs sie, %0" ::"r"(2ul));
    __asm__ volatile("csrs sip, %0" ::"r"(2ul));
    expect_no_trap(); /* SIE is clear */
    __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE));
    __asm__ volatile("nop");
    __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
    CHECK_EQ(s_traps, traps_before + 1);
    CHECK_EQ(s_cause, (1ul << (sizeof(ulong) * 8 - 1)) | 1);
    traps_before = s_traps;

    puts_("user mode\n");
    *(volatile ulong *)pages[5] = 0x1234;
    enter_user(VA_UCODE + ((ulong)user_main & 0xfff), VA_USTACK + 4096);
    CHECK_EQ(user_printed, 0x600d);
    CHECK_EQ(user_exit_code, 7);
    CHECK_EQ(((volatile ulong *)pages[5])[1], 0x1235);
    /* Four traps besides the three ecalls: the load, sstatus, rdcycle, wfi. */
    CHECK_EQ(s_traps - traps_before, 4 + 3);

    puts_("back to M\n");
    m_request = M_FINISH;
    __asm__ volatile("ecall");
    fail(96);
}

int main(ulong hartid) {
    (void)hartid;
    puts_("paging " MODE_NAME "\n");
    ulong v;
    /* PMP: S and U may access everything (one NAPOT entry, RWX). */
    __asm__ volatile("csrw pmpaddr0, %0" ::"r"(sizeof(ulong) == 8 ? ~0ul >> 10 : ~0ul));
    __asm__ volatile("csrw pmpcfg0, %0" ::"r"(0x1ful));
    __asm__ volatile("csrr %0, pmpcfg0" : "=r"(v));
    CHECK_EQ(v & 0xff, 0x1f);
    /* Identity maps: RAM as S pages, the devices below it. */
#if __riscv_xlen == 64
    map_super(0x80000000ul, 0x80000000ul, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    map_super(0, 0, PTE_R | PTE_W | PTE_A | PTE_D);
#else
    for (ulong a = 0x80000000ul; a < 0x80c00000ul; a += 0x400000ul) {
        map_super(a, a, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    }
    map_super(0, 0, PTE_R | PTE_W | PTE_A | PTE_D);
    map_super(UART0, UART0, PTE_R | PTE_W | PTE_A | PTE_D);
#endif
    map_super(VA_MISALIGNED, 0x80001000ul, PTE_R | PTE_A);
    *(volatile ulong *)pages[0] = 0x1111;
    map(VA_AD, pages[0], PTE_R | PTE_W);
    *(volatile ulong *)(pages[1] + 0x10) = 0x3333;
    *(volatile ulong *)pages[2] = 0x4444;
    map(VA_RO, pages[2], PTE_R | PTE_A);
    /* li a0, 42; ret */
    ((volatile u32 *)pages[3])[0] = 0x02a00513;
    ((volatile u32 *)pages[3])[1] = 0x00008067;
    /* auipc a0, 0; ret */
    ((volatile u32 *)pages[7])[0] = 0x00000517;
    ((volatile u32 *)pages[7])[1] = 0x00008067;
    map(VA_ALIAS1, pages[7], PTE_R | PTE_X | PTE_A);
    map(VA_ALIAS2, pages[7], PTE_R | PTE_X | PTE_A);
    __asm__ volatile("fence.i");
    *(volatile ulong *)pages[4] = 0x5555;
    map(VA_XONLY, pages[4], PTE_X | PTE_A);
    *(volatile ulong *)pages[5] = 0x6666;
    map(VA_UDATA, pages[5], PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    map(VA_UCODE, (void *)((ulong)user_main & ~0xffful), PTE_R | PTE_X | PTE_U);
    map(VA_UCODE + 0x1000, (void *)(((ulong)user_main & ~0xffful) + 0x1000),
        PTE_R | PTE_X | PTE_U);
    map(VA_USTACK, pages[6], PTE_R | PTE_W | PTE_U);

    /* MPRV: M-mode loads and stores translated as S's. */
    puts_("MPRV\n");
    __asm__ volatile("csrw satp, %0" ::"r"(SATP_MODE | ((ulong)root() >> 12)));
    __asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MPRV | MSTATUS_MPP_S));
    v = load(VA_RO);
    __asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MPRV | MSTATUS_MPP));
    CHECK_EQ(v, 0x4444);
    __asm__ volatile("csrw satp, zero");

    /* Delegation. */
    puts_("delegation\n");
    ulong medeleg = (1ul << 2) | (1ul << 8) | (1ul << 12) | (1ul << 13) | (1ul << 15);
    __asm__ volatile("csrw medeleg, %0" ::"r"(medeleg));
    __asm__ volatile("csrr %0, medeleg" : "=r"(v));
    CHECK_EQ(v, medeleg);
    __asm__ volatile("csrw mideleg, %0" ::"r"(0x222ul));
    __asm__ volatile("csrr %0, mideleg" : "=r"(v));
    CHECK_EQ(v & 0x222, 0x222);
    __asm__ volatile("csrw mcounteren, zero");
    __asm__ volatile("csrw scounteren, zero");
    /* sstatus and sie are views of mstatus and mie. */
    __asm__ volatile("csrs mstatus, %0" ::"r"(SSTATUS_SUM));
    __asm__ volatile("csrr %0, sstatus" : "=r"(v));
    CHECK(v & SSTATUS_SUM);
    __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SUM));
    __asm__ volatile("csrr %0, mstatus" : "=r"(v));
    CHECK(!(v & SSTATUS_SUM));
    __asm__ volatile("csrw mie, %0" ::"r"(0x8ul));
    __asm__ volatile("csrr %0, sie" : "=r"(v));
    CHECK_EQ(v, 0);
    __asm__ volatile("csrw mie, zero");

    __asm__ volatile("csrw stvec, %0" ::"r"(s_trap_entry));
    __asm__ volatile("csrw sscratch, %0" ::"r"(trap_stack + sizeof trap_stack));
    __asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MPP));
    __asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MPP_S));
    __asm__ volatile("csrw mepc, %0" ::"r"(s_main));
    __asm__ volatile("mret");
    return 1;
}

