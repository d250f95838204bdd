#include "lib.h"

int failures;

void uart_init(void) {
    UART_BAUDDIV = 16;
    UART_CTRL = 1; /* TX enable */
}

void putc_(char c) {
    while (UART_STATE & 1) {
    }
    UART_DATA = (u32)(unsigned char)c;
}

void puts_(const char *s) {
    while (*s) {
        putc_(*s++);
    }
}

static const char hexdig[] = "0123456789abcdef";

void put_hex(u32 v) {
    puts_("0x");
    for (int i = 28; i >= 0; i -= 4) {
        putc_(hexdig[(v >> i) & 15]);
    }
}

void put_hex64(u64 v) {
    puts_("0x");
    for (int i = 60; i >= 0; i -= 4) {
        putc_(hexdig[(v >> i) & 15]);
    }
}

void put_dec(u32 v) {
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        putc_(buf[--n]);
    }
}

void put_sdec(s32 v) {
    if (v < 0) {
        putc_('-');
        put_dec(-(u32)v);
    } else {
        put_dec((u32)v);
    }
}

void put_nzcvq(u32 apsr) {
    putc_(apsr & (1u << 31) ? 'N' : '-');
    putc_(apsr & (1u << 30) ? 'Z' : '-');
    putc_(apsr & (1u << 29) ? 'C' : '-');
    putc_(apsr & (1u << 28) ? 'V' : '-');
    putc_(apsr & (1u << 27) ? 'Q' : '-');
}

/* ARM semihosting: r0 = operation, r1 = argument, result in r0. */
u32 semihost(u32 op, const void *arg) {
    register u32 r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_writec(char c) {
    semihost(SYS_WRITEC, &c);
}

void sh_write0(const char *s) {
    semihost(SYS_WRITE0, s);
}

static u32 tt_handle;
static int tt_open;

u32 sh_write(const void *buf, u32 len) {
    if (!tt_open) {
        /* ":tt" opened for writing (mode 4, "w") is the console. */
        u32 args[3] = {(u32) ":tt", 4, 3};
        tt_handle = semihost(SYS_OPEN, args);
        tt_open = 1;
    }
    u32 args[3] = {tt_handle, (u32)buf, len};
    return semihost(SYS_WRITE, args);
}

void sh_exit(void) {
    /* On AArch32, SYS_EXIT takes the reason itself in r1. */
    semihost(SYS_EXIT, (const void *)ADP_Stopped_ApplicationExit);
    for (;;) {
    }
}

void sh_exit_extended(u32 code) {
    u32 block[2] = {ADP_Stopped_ApplicationExit, code};
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}

void exit_with(int code) {
    if (code == 0 && failures == 0) {
        sh_exit();
    }
    sh_exit_extended(code ? (u32)code : (u32)failures);
}

void finish(const char *name) {
    if (failures == 0) {
        puts_("PASS ");
        puts_(name);
        puts_("\n");
    } else {
        puts_("FAIL ");
        puts_(name);
        puts_(" (");
        put_dec((u32)failures);
        puts_(" failures)\n");
    }
    exit_with(0);
}

/* Any exception a test does not handle: report it and exit with 99. Called
   from Default_Handler in start.S with the stacked frame and EXC_RETURN. */
void unexpected_exception(struct frame *f, u32 exc_return) {
    puts_("unexpected exception ");
    put_dec(get_ipsr() & 0x1ff);
    puts_(" pc ");
    put_hex(f->pc);
    puts_(" lr ");
    put_hex(exc_return);
    puts_(" CFSR ");
    put_hex(CFSR);
    puts_(" HFSR ");
    put_hex(HFSR);
    puts_("\n");
    exit_with(99);
}
