/* Sv48 and Sv57 paging, from M mode through MPRV (data accesses
   translated as S mode's, code fetched untranslated): satp takes each
   mode (or keeps its value when the mode is not there), a load through
   a gigapage alias of RAM at a virtual address only the wider format
   reaches reads the word, and an address that is not sign-extended from
   the format's top bit takes a load page fault. RV64 only. */
#include "lib.h"

#if __riscv_xlen == 64
#include "mprv.h"
#define PTE_V 0x01ul
#define TABLE(t) ((((ulong)(t)) >> 12 << 10) | PTE_V)
#define LEAF(pa, fl) ((((ulong)(pa)) >> 12 << 10) | (fl))

static ulong t[8][512] __attribute__((aligned(4096)));
static volatile ulong word = 0xfeedfacecafef00dul;

/* Sets satp to `mode` with root `root`; whether the hart took it. */
static int use_mode(ulong mode, ulong *root) {
    ulong satp = (mode << 60) | ((ulong)root >> 12), got;
    __asm__ volatile("csrw satp, %1\nsfence.vma\ncsrr %0, satp" : "=r"(got) : "r"(satp) : "memory");
    return got == satp;
}

int main(ulong hartid) {
    (void)hartid;
    ulong off = (ulong)&word - 0x80000000ul;
    __asm__ volatile("csrw pmpaddr0, %0\ncsrw pmpcfg0, %1" ::"r"(~0ul), "r"(0x1ful));

    /* Sv48: root t[0]; RAM identity through t[1]; VA 0x4000_0000_0000
       (VPN[3] = 128) through t[2] to a gigapage at RAM. */
    t[0][0] = TABLE(t[1]);
    t[1][2] = LEAF(0x80000000ul, PTE_VRWXAD);
    t[0][128] = TABLE(t[2]);
    t[2][0] = LEAF(0x80000000ul, PTE_VRWAD);
    if (use_mode(9, t[0])) {
        puts_("sv48: satp taken\n");
        try_load("sv48 high alias", 0x0000400000000000ul + off);
        try_load("sv48 not sign-extended", 0x0000800000000000ul + off);
        try_load("sv48 sign-extended, unmapped", 0xffff800000000000ul + off);
    } else {
        puts_("sv48: satp kept\n");
    }

    /* Sv57: root t[3]; RAM identity through t[4], t[5]; VA
       0x0080_0000_0000_0000 (VPN[4] = 128) through t[6], t[7]. */
    t[3][0] = TABLE(t[4]);
    t[4][0] = TABLE(t[5]);
    t[5][2] = LEAF(0x80000000ul, PTE_VRWXAD);
    t[3][128] = TABLE(t[6]);
    t[6][0] = TABLE(t[7]);
    t[7][0] = LEAF(0x80000000ul, PTE_VRWAD);
    if (use_mode(10, t[3])) {
        puts_("sv57: satp taken\n");
        try_load("sv57 high alias", 0x0080000000000000ul + off);
        try_load("sv57 not sign-extended", 0x0100000000000000ul + off);
    } else {
        puts_("sv57: satp kept\n");
    }
    __asm__ volatile("csrw satp, zero\nsfence.vma" ::: "memory");
    puts_("sv57: done\n");
    return 0;
}
#else
int main(ulong hartid) {
    (void)hartid;
    puts_("sv57: rv64 only\n");
    return 0;
}
#endif
