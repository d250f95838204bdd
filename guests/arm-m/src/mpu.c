/* mpu: the PMSAv7 MPU enforced. Region 0 opens the whole address space
   to everyone; region 1 makes a 32-byte buffer read-only for all
   (AP=110); region 2 makes another privileged-only (AP=001); region 3 a
   256-byte buffer privileged-only with one 32-byte subregion disabled
   (SRD), so region 0 answers there. Stores and loads from privileged and
   unprivileged code, each either allowed or a MemManage fault whose
   handler reports CFSR and whether MMFAR names the address, then skips
   the instruction; then the MPU off and every access allowed again. */
#include "lib.h"

#define MPU_TYPE REG32(0xE000ED90)
#define MPU_CTRL REG32(0xE000ED94)
#define MPU_RNR REG32(0xE000ED98)
#define MPU_RBAR REG32(0xE000ED9C)
#define MPU_RASR REG32(0xE000EDA0)

static volatile u32 ro_buf[8] __attribute__((aligned(32)));
static volatile u32 priv_buf[8] __attribute__((aligned(32)));
static volatile u32 sub_buf[64] __attribute__((aligned(256)));

static volatile u32 faults, last_cfsr, last_mmfar;

/* The handler gets the stacked frame in r0 (MSP or PSP, as EXC_RETURN
   says). */
__asm__(".text\n .globl MemManage_Handler\n .type MemManage_Handler, %function\n"
        " .thumb_func\nMemManage_Handler:\n tst lr, #4\n ite eq\n mrseq r0, msp\n"
        " mrsne r0, psp\n b memmanage_c\n");
__asm__(".text\n .globl SVC_Handler\n .type SVC_Handler, %function\n"
        " .thumb_func\nSVC_Handler:\n mrs r0, control\n bic r0, r0, #1\n msr control, r0\n"
        " isb\n bx lr\n");

void memmanage_c(struct frame *f) {
    faults++;
    last_cfsr = CFSR;
    last_mmfar = MMFAR;
    CFSR = last_cfsr;
    u16 first = *(const u16 *)f->pc;
    f->pc += (first & 0xf800) >= 0xe800 ? 4 : 2;
}

static void region(u32 n, const volatile void *base, u32 size_field, u32 ap, u32 srd) {
    MPU_RNR = n;
    MPU_RBAR = (u32)base;
    MPU_RASR = (ap << 24) | (srd << 8) | (size_field << 1) | 1;
}

/* One access: the faults it took and, when it took one, the CFSR and
   whether MMFAR named the address. */
static void access(const char *what, volatile u32 *p, int write) {
    u32 before = faults;
    last_cfsr = 0;
    if (write) {
        *p = 0x1234;
    } else {
        (void)*p;
    }
    puts_(what);
    if (faults == before) {
        puts_(": allowed\n");
        return;
    }
    puts_(": MemManage, cfsr ");
    put_hex(last_cfsr);
    puts_(last_mmfar == (u32)p ? ", mmfar = address\n" : ", mmfar elsewhere\n");
}

int main(void) {
    puts_("mpu_type ");
    put_hex(MPU_TYPE);
    puts_("\n");
    SHCSR |= 1u << 16; /* MEMFAULTENA */
    region(0, 0, 31, 3, 0);
    region(1, ro_buf, 4, 6, 0);
    region(2, priv_buf, 4, 1, 0);
    region(3, sub_buf, 7, 1, 1u << 2);
    MPU_CTRL = 1 | 4; /* ENABLE, PRIVDEFENA */
    __asm__ volatile("dsb\n isb");
    access("privileged store to read-only", &ro_buf[1], 1);
    access("privileged load from read-only", &ro_buf[1], 0);
    access("privileged store to privileged-only", &priv_buf[2], 1);
    set_control(get_control() | 1); /* unprivileged from here */
    access("unprivileged load from privileged-only", &priv_buf[2], 0);
    access("unprivileged store to privileged-only", &priv_buf[3], 1);
    access("unprivileged load from read-only", &ro_buf[0], 0);
    access("unprivileged store to read-only", &ro_buf[0], 1);
    access("unprivileged store to a privileged subregion", &sub_buf[0], 1);
    access("unprivileged store to a disabled subregion", &sub_buf[16], 1);
    access("unprivileged store to a later privileged subregion", &sub_buf[55], 1);
    __asm__ volatile("svc #0"); /* privileged again */
    CHECK_EQ(get_control() & 1, 0);
    MPU_CTRL = 0;
    __asm__ volatile("dsb\n isb");
    access("MPU off: store to read-only", &ro_buf[1], 1);
    puts_("faults: ");
    put_dec(faults);
    puts_("\n");
    CHECK_EQ(faults, 6);
    finish("mpu");
}
