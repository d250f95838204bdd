/* sp: every write to SP treats bits [1:0] as zero (ARMv7-M B1.4.1,
   "SP[1:0] are treated as SBZP"): MOV (16- and 32-bit), ADD SP, Rm,
   ADD/SUB SP, SP, #imm (32-bit, odd immediates), LDR SP, [Rn] and MSR
   MSP, each with a value whose low bits are set; then a PUSH and a POP on
   the written SP, which fault (UNALIGNED UsageFault escalated to
   HardFault) when the bits stay. Prints each SP written, as its distance
   from the aligned value. Last, an SVC taken with SP where nothing can be
   written: the stacking BusFault (CFSR.STKERR) is taken instead of the
   SVC, escalated to HardFault (disabled BusFault: HFSR.FORCED), and the
   SVC stays pending (SHCSR.SVCALLPENDED). */
#include "lib.h"

/* The SP each form leaves, read back with MOV Rd, SP; the SP before is
   restored in the same asm statement, so nothing else runs on the odd
   stack. `write` sets SP from %1 (a value, or for LDR an address). */
#define SP_AFTER(name, write)                                               \
    static u32 name(u32 v) {                                                \
        u32 r;                                                              \
        __asm__ volatile("mov r3, sp\n " write "\n mov %0, sp\n mov sp, r3" \
                         : "=r"(r) : "r"(v) : "r3", "memory");             \
        return r;                                                           \
    }

SP_AFTER(mov16, "mov sp, %1")
SP_AFTER(mov32, "mov.w sp, %1")
SP_AFTER(add_imm, "mov sp, %1\n add.w sp, sp, #7")
SP_AFTER(sub_imm, "mov sp, %1\n sub.w sp, sp, #5")
SP_AFTER(ldr_sp, "ldr.w sp, [%1]")

static u32 add_reg(u32 base, u32 v) {
    u32 r;
    __asm__ volatile("mov r3, sp\n mov sp, %1\n add sp, %2\n mov %0, sp\n mov sp, r3"
                     : "=r"(r) : "r"(base), "r"(v) : "r3", "memory");
    return r;
}

static u32 msr_msp(u32 v) {
    u32 r;
    __asm__ volatile("mrs r3, msp\n msr msp, %1\n mrs %0, msp\n msr msp, r3"
                     : "=r"(r) : "r"(v) : "r3", "memory");
    return r;
}

/* Writes SP with the low bits set, then pushes and pops through it: the
   value popped, or a fault. */
static u32 push_pop(u32 v) {
    u32 r;
    __asm__ volatile("mov r3, sp\n mov sp, %1\n movs r2, #42\n push {r2}\n movs r2, #0\n"
                     " pop {r2}\n mov %0, r2\n mov sp, r3"
                     : "=r"(r) : "r"(v) : "r2", "r3", "memory");
    return r;
}

static void show(const char *what, u32 sp, u32 aligned) {
    puts_(what);
    puts_(": sp - aligned = ");
    put_sdec((s32)(sp - aligned));
    puts_("\n");
    CHECK_EQ(sp & 3, 0);
}

/* Scratch stack for the writes, inside the program's RAM. */
static u32 scratch[64] __attribute__((aligned(8)));

/* SHCSR, CFSR and HFSR, and IPSR, as the HardFault handler found them. */
u32 fault_regs[4];
u32 good_msp;

void after_stacking_fault(void) __attribute__((noreturn));

/* Runs on the unwritable stack the failed entry left: touches no stack
   until it has put MSP back. */
__asm__(".text\n .globl HardFault_Handler\n .type HardFault_Handler, %function\n"
        " .thumb_func\nHardFault_Handler:\n"
        " ldr r0, =0xE000ED24\n ldr r1, [r0]\n ldr r2, [r0, #4]\n ldr r3, [r0, #8]\n"
        " mrs r12, ipsr\n ldr r0, =fault_regs\n stmia r0!, {r1, r2, r3, r12}\n"
        " ldr r0, =good_msp\n ldr r0, [r0]\n mov sp, r0\n b after_stacking_fault\n"
        " .ltorg\n");

void after_stacking_fault(void) {
    puts_("svc with sp at 0xfffffff0: shcsr ");
    put_hex(fault_regs[0]);
    puts_(" cfsr ");
    put_hex(fault_regs[1]);
    puts_(" hfsr ");
    put_hex(fault_regs[2]);
    puts_(" ipsr ");
    put_dec(fault_regs[3]);
    puts_("\n");
    CHECK_EQ(fault_regs[1], 1u << 12);
    CHECK_EQ(fault_regs[3], 3);
    finish("sp");
}

int main(void) {
    u32 top = (u32)&scratch[48];
    static u32 odd_word;
    odd_word = top + 3;
    show("mov sp, rm", mov16(top + 3), top);
    show("mov.w sp, rm", mov32(top + 2), top);
    show("add sp, rm", add_reg(top, 5), top + 4);
    show("add.w sp, sp, #7", add_imm(top), top + 4);
    show("sub.w sp, sp, #5", sub_imm(top), top - 8);
    show("ldr.w sp, [rn]", ldr_sp((u32)&odd_word), top);
    show("msr msp, rm", msr_msp(top + 1), top);
    CHECK_EQ(push_pop(top + 1), 42);
    puts_("push and pop on a written sp: ok\n");
    __asm__ volatile("mov r0, sp\n str r0, [%0]\n mov r0, %1\n mov sp, r0\n svc #0\n"
                     :: "r"(&good_msp), "r"(0xfffffff0u) : "r0", "memory");
    puts_("the svc returned\n");
    finish("sp");
}
