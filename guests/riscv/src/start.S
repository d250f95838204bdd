/* Start code for the RISC-V guests: every hart gets its own 4 KiB stack;
   hart 0 clears .bss and calls main(hartid); the others wait until it has,
   then call secondary(hartid), which a test may define (the default parks
   them).
   Traps go to trap_entry, which saves the caller-saved registers and calls
   trap_handler(mcause, mepc, mtval) in C. Programs built with F/D turn
   the float unit on first. */
    .file   "start.S"
    .section .text.start
    .globl _start
_start:
    csrr    a0, mhartid
    la      sp, __stack_top
    slli    t0, a0, 12
    sub     sp, sp, t0
    la      t0, trap_entry
    csrw    mtvec, t0
#ifdef __riscv_flen
    /* Float programs: the unit on (FS = Initial) before any float
       instruction, round to nearest, no flags. */
    li      t0, 1 << 13
    csrs    mstatus, t0
    csrwi   fcsr, 0
#endif
    bnez    a0, 2f
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 3f
    sb      zero, 0(t0)
    addi    t0, t0, 1
    j       1b
3:  la      t0, boot_ready
    li      t1, 1
    fence   w, w
    sw      t1, 0(t0)
    csrr    a0, mhartid
    call    main
    call    exit_with
4:  j       4b
    /* Other harts wait until hart 0 has cleared .bss, which they share. */
2:  la      t0, boot_ready
6:  lw      t1, 0(t0)
    beqz    t1, 6b
    fence   r, rw
    csrr    a0, mhartid
    call    secondary
5:  wfi
    j       5b

    .data
    .align  2
boot_ready:
    .word   0
    .text

    .align  4
    .globl  trap_entry
trap_entry:
#if __riscv_xlen == 64
#define SAVE sd
#define LOAD ld
#define WORD 8
#else
#define SAVE sw
#define LOAD lw
#define WORD 4
#endif
    addi    sp, sp, -16*WORD
    SAVE    ra, 0*WORD(sp)
    SAVE    t0, 1*WORD(sp)
    SAVE    t1, 2*WORD(sp)
    SAVE    t2, 3*WORD(sp)
    SAVE    a0, 4*WORD(sp)
    SAVE    a1, 5*WORD(sp)
    SAVE    a2, 6*WORD(sp)
    SAVE    a3, 7*WORD(sp)
    SAVE    a4, 8*WORD(sp)
    SAVE    a5, 9*WORD(sp)
    SAVE    a6, 10*WORD(sp)
    SAVE    a7, 11*WORD(sp)
    SAVE    t3, 12*WORD(sp)
    SAVE    t4, 13*WORD(sp)
    SAVE    t5, 14*WORD(sp)
    SAVE    t6, 15*WORD(sp)
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    trap_handler
    csrw    mepc, a0
    LOAD    ra, 0*WORD(sp)
    LOAD    t0, 1*WORD(sp)
    LOAD    t1, 2*WORD(sp)
    LOAD    t2, 3*WORD(sp)
    LOAD    a0, 4*WORD(sp)
    LOAD    a1, 5*WORD(sp)
    LOAD    a2, 6*WORD(sp)
    LOAD    a3, 7*WORD(sp)
    LOAD    a4, 8*WORD(sp)
    LOAD    a5, 9*WORD(sp)
    LOAD    a6, 10*WORD(sp)
    LOAD    a7, 11*WORD(sp)
    LOAD    t3, 12*WORD(sp)
    LOAD    t4, 13*WORD(sp)
    LOAD    t5, 14*WORD(sp)
    LOAD    t6, 15*WORD(sp)
    addi    sp, sp, 16*WORD
    mret
