/* Loads from M mode as S mode's would be translated (mstatus.MPRV with
   MPP = S; code keeps being fetched untranslated), counting the faults
   they take: shared by the RV64 paging programs. Include after lib.h. */
#ifndef MPRV_H
#define MPRV_H

#define PTE_VRWAD 0xc7ul
#define PTE_VRWXAD 0xcful
#define MSTATUS_MPP (3ul << 11)
#define MSTATUS_MPP_S (1ul << 11)
#define MSTATUS_MPRV (1ul << 17)

static volatile ulong faults, last_cause;

/* Every trap is a faulting load of load_as_s: skip it (4 bytes, as
   load_as_s turns compressed instructions off around it). */
ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    (void)tval;
    faults++;
    last_cause = cause;
    return epc + 4;
}

/* The doubleword at `va` as S mode reads it (0xdead when it faults). */
static ulong load_as_s(ulong va) {
    ulong v = 0xdead;
    __asm__ volatile("csrc mstatus, %[mpp]\n"
                     "csrs mstatus, %[s]\n"
                     ".option push\n.option norvc\n"
                     "csrs mstatus, %[mprv]\n"
                     "ld %[v], 0(%[va])\n"
                     "csrc mstatus, %[mprv]\n"
                     ".option pop\n"
                     : [v] "+r"(v)
                     : [va] "r"(va), [mpp] "r"(MSTATUS_MPP), [s] "r"(MSTATUS_MPP_S),
                       [mprv] "r"(MSTATUS_MPRV)
                     : "memory");
    return v;
}

/* Prints `name: read <value>` or `name: fault <cause>` for a load of
   `va` as S mode. */
static void try_load(const char *name, ulong va) {
    ulong before = faults;
    ulong v = load_as_s(va);
    puts_(name);
    if (faults != before) {
        puts_(": fault ");
        put_dec(last_cause);
    } else {
        puts_(": read ");
        put_hex(v);
    }
    puts_("\n");
}

#endif
