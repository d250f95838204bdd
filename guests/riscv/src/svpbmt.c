/* Svpbmt, from M mode through MPRV (data accesses translated as S mode's
   would be, code fetched untranslated): an Sv39 gigapage alias of RAM
   whose PTE carries each memory type (PMA, NC, IO) with
   menvcfg.PBMTE clear and set, and one with the Svnapot N bit on a
   gigapage; each load either reads the word or takes a load page fault.
   RV64 only: Sv32 PTEs have no such bits. */
#include "lib.h"

#if __riscv_xlen == 64
#include "mprv.h"
#define MENVCFG_PBMTE (1ul << 62)

static ulong root[512] __attribute__((aligned(4096)));
static volatile ulong word = 0x1234567890abcdeful;

/* Loads the word through its alias at 0xc0000000 as S mode would, with
   the alias's PTE high bits `pte_high` and menvcfg.PBMTE `pbmte`. */
static void try(const char *name, ulong pte_high, int pbmte) {
    root[3] = (0x80000000ul >> 12 << 10) | PTE_VRWAD | pte_high;
    if (pbmte) {
        __asm__ volatile("csrs 0x30a, %0" ::"r"(MENVCFG_PBMTE));
    } else {
        __asm__ volatile("csrc 0x30a, %0" ::"r"(MENVCFG_PBMTE));
    }
    __asm__ volatile("sfence.vma" ::: "memory");
    try_load(name, (ulong)&word - 0x80000000ul + 0xc0000000ul);
}

int main(ulong hartid) {
    (void)hartid;
    /* S-mode accesses need a PMP entry: one for all of memory. */
    __asm__ volatile("csrw pmpaddr0, %0\ncsrw pmpcfg0, %1" ::"r"(~0ul), "r"(0x1ful));
    root[2] = (0x80000000ul >> 12 << 10) | PTE_VRWXAD; /* RAM, identity */
    __asm__ volatile("csrw satp, %0\nsfence.vma" ::"r"((8ul << 60) | ((ulong)root >> 12)) : "memory");
    try("pma, pbmte off", 0, 0);
    try("nc, pbmte off", 1ul << 61, 0);
    try("pma, pbmte on", 0, 1);
    try("nc, pbmte on", 1ul << 61, 1);
    try("io, pbmte on", 2ul << 61, 1);
    try("napot bit on a gigapage", 1ul << 63, 1);
    __asm__ volatile("csrw satp, zero\nsfence.vma" ::: "memory");
    puts_("svpbmt: done\n");
    return 0;
}
#else
int main(ulong hartid) {
    (void)hartid;
    puts_("svpbmt: rv64 only\n");
    return 0;
}
#endif
