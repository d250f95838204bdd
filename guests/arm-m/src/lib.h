/* The Cortex-M guests' tiny runtime: CMSDK UART output, ARM semihosting,
   checks, and the system registers the tests touch. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;
typedef long long s64;

#define REG32(a) (*(volatile u32 *)(a))
#define REG8(a) (*(volatile u8 *)(a))

/* CMSDK APB UART0 of the MPS2 boards. */
#define UART0 0x40004000u
#define UART_DATA REG32(UART0 + 0x00)
#define UART_STATE REG32(UART0 + 0x04) /* bit 0: TX full */
#define UART_CTRL REG32(UART0 + 0x08)  /* bit 0: TX enable */
#define UART_BAUDDIV REG32(UART0 + 0x10)

/* System control space. */
#define ICSR REG32(0xE000ED04)
#define VTOR REG32(0xE000ED08)
#define AIRCR REG32(0xE000ED0C)
#define SCR REG32(0xE000ED10)
#define CCR REG32(0xE000ED14)
#define SHPR1 REG32(0xE000ED18)
#define SHPR2 REG32(0xE000ED1C)
#define SHPR3 REG32(0xE000ED20)
#define SHCSR REG32(0xE000ED24)
#define CFSR REG32(0xE000ED28)
#define HFSR REG32(0xE000ED2C)
#define MMFAR REG32(0xE000ED34)
#define BFAR REG32(0xE000ED38)
#define CPACR REG32(0xE000ED88)
#define STIR REG32(0xE000EF00)
#define FPCCR REG32(0xE000EF34)
#define SYST_CSR REG32(0xE000E010)
#define SYST_RVR REG32(0xE000E014)
#define SYST_CVR REG32(0xE000E018)
#define NVIC_ISER(n) REG32(0xE000E100 + 4 * (n))
#define NVIC_ICER(n) REG32(0xE000E180 + 4 * (n))
#define NVIC_ISPR(n) REG32(0xE000E200 + 4 * (n))
#define NVIC_ICPR(n) REG32(0xE000E280 + 4 * (n))
#define NVIC_IABR(n) REG32(0xE000E300 + 4 * (n))
#define NVIC_IPR(irq) REG8(0xE000E400 + (irq))
#define ICTR REG32(0xE000E004)

/* Semihosting operations and reasons. */
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_OPEN 0x01
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

void uart_init(void);
void putc_(char c);
void puts_(const char *s);
void put_hex(u32 v);   /* 0x%08x */
void put_hex64(u64 v); /* 0x%016x */
void put_dec(u32 v);
void put_sdec(s32 v);
void put_nzcvq(u32 apsr); /* the five flags as letters or '-' */

u32 semihost(u32 op, const void *arg);
void sh_writec(char c);
void sh_write0(const char *s);
u32 sh_write(const void *buf, u32 len); /* to ":tt"; returns bytes not written */
void sh_exit(void) __attribute__((noreturn)); /* SYS_EXIT, success */
void sh_exit_extended(u32 code) __attribute__((noreturn));

/* Ends the test: "PASS name" or "FAIL name (N failures)", then exits with
   0 or the failure count. */
void finish(const char *name) __attribute__((noreturn));
void exit_with(int code) __attribute__((noreturn));

extern int failures;
#define CHECK(cond) do { if (!(cond)) { puts_("CHECK failed at line "); put_dec(__LINE__); puts_(": " #cond "\n"); failures++; } } while (0)
#define CHECK_EQ(a, b) do { u32 _a = (u32)(a), _b = (u32)(b); if (_a != _b) { puts_("CHECK_EQ failed at line "); put_dec(__LINE__); puts_(": "); put_hex(_a); puts_(" != "); put_hex(_b); puts_("\n"); failures++; } } while (0)
#define CHECK_EQ64(a, b) do { u64 _a = (u64)(a), _b = (u64)(b); if (_a != _b) { puts_("CHECK_EQ64 failed at line "); put_dec(__LINE__); puts_(": "); put_hex64(_a); puts_(" != "); put_hex64(_b); puts_("\n"); failures++; } } while (0)

static inline u32 get_apsr(void) { u32 v; __asm__ volatile("mrs %0, apsr" : "=r"(v)); return v; }
static inline void set_apsr(u32 v) { __asm__ volatile("msr apsr_nzcvq, %0" :: "r"(v) : "cc"); }
static inline u32 get_ipsr(void) { u32 v; __asm__ volatile("mrs %0, ipsr" : "=r"(v)); return v; }
static inline u32 get_control(void) { u32 v; __asm__ volatile("mrs %0, control" : "=r"(v)); return v; }
static inline void set_control(u32 v) { __asm__ volatile("msr control, %0\n isb" :: "r"(v) : "memory"); }
static inline u32 get_primask(void) { u32 v; __asm__ volatile("mrs %0, primask" : "=r"(v)); return v; }
static inline u32 get_basepri(void) { u32 v; __asm__ volatile("mrs %0, basepri" : "=r"(v)); return v; }
static inline void set_basepri(u32 v) { __asm__ volatile("msr basepri, %0\n isb" :: "r"(v) : "memory"); }
static inline void set_basepri_max(u32 v) { __asm__ volatile("msr basepri_max, %0\n isb" :: "r"(v) : "memory"); }
static inline u32 get_faultmask(void) { u32 v; __asm__ volatile("mrs %0, faultmask" : "=r"(v)); return v; }
static inline u32 get_psp(void) { u32 v; __asm__ volatile("mrs %0, psp" : "=r"(v)); return v; }
static inline u32 get_msp(void) { u32 v; __asm__ volatile("mrs %0, msp" : "=r"(v)); return v; }
static inline void irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("cpsie i\n isb" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("dsb\n isb" ::: "memory"); }

/* Exception entry stack frame. */
struct frame {
    u32 r0, r1, r2, r3, r12, lr, pc, xpsr;
};

#endif
