/* Start code for the Cortex-M guests: the vector table (16 system
   exceptions and 32 external interrupts), the reset handler (copies .data
   from flash, clears .bss, enables the FPU when built for one, enables the
   UART, calls main, then exits through semihosting with main's result),
   and the default handler. Every handler is weak: a test defines the ones
   it expects. */
    .file   "start.S"
    .syntax unified
    .thumb

    .section .vectors, "a", %progbits
    .globl  __vectors
__vectors:
    .word   __stack_top
    .word   Reset_Handler
    .word   NMI_Handler
    .word   HardFault_Handler
    .word   MemManage_Handler
    .word   BusFault_Handler
    .word   UsageFault_Handler
    .word   0, 0, 0, 0
    .word   SVC_Handler
    .word   DebugMon_Handler
    .word   0
    .word   PendSV_Handler
    .word   SysTick_Handler
    .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .word   IRQ\n\()_Handler
    .endr

    .macro  weak_handler name
    .weak   \name
    .thumb_set \name, Default_Handler
    .endm

    weak_handler NMI_Handler
    weak_handler HardFault_Handler
    weak_handler MemManage_Handler
    weak_handler BusFault_Handler
    weak_handler UsageFault_Handler
    weak_handler SVC_Handler
    weak_handler DebugMon_Handler
    weak_handler PendSV_Handler
    weak_handler SysTick_Handler
    .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    weak_handler IRQ\n\()_Handler
    .endr

    .text
    .globl  Reset_Handler
    .type   Reset_Handler, %function
    .thumb_func
Reset_Handler:
    ldr     r0, =__data_load
    ldr     r1, =__data_start
    ldr     r2, =__data_end
1:  cmp     r1, r2
    bhs     2f
    ldr     r3, [r0], #4
    str     r3, [r1], #4
    b       1b
2:  ldr     r1, =__bss_start
    ldr     r2, =__bss_end
    movs    r3, #0
3:  cmp     r1, r2
    bhs     4f
    str     r3, [r1], #4
    b       3b
4:
#ifdef __ARM_FP
    /* CP10 and CP11 full access before any compiled code runs. */
    ldr     r0, =0xE000ED88
    ldr     r1, [r0]
    orr     r1, r1, #(0xF << 20)
    str     r1, [r0]
    dsb
    isb
#endif
    bl      uart_init
    bl      main
    bl      exit_with
5:  b       5b
    .size   Reset_Handler, . - Reset_Handler

    .globl  Default_Handler
    .type   Default_Handler, %function
    .thumb_func
Default_Handler:
    tst     lr, #4
    ite     eq
    mrseq   r0, msp
    mrsne   r0, psp
    mov     r1, lr
    b       unexpected_exception
    .size   Default_Handler, . - Default_Handler
