#include "lib.h"

int failures;

static volatile unsigned char *const uart = (volatile unsigned char *)UART0;

void putc_(char c) {
    while (!(uart[5] & 0x20)) {
    }
    uart[0] = (unsigned char)c;
}

void puts_(const char *s) {
    while (*s) {
        putc_(*s++);
    }
}

void put_hex(u64 v) {
    puts_("0x");
    for (int i = 60; i >= 0; i -= 4) {
        putc_("0123456789abcdef"[(v >> i) & 15]);
    }
}

void put_dec(u64 v) {
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        putc_(buf[--n]);
    }
}

void pass(void) {
    *(volatile u32 *)FINISHER = 0x5555;
    for (;;) {
    }
}

void fail(u32 code) {
    *(volatile u32 *)FINISHER = (code << 16) | 0x3333;
    for (;;) {
    }
}

void exit_with(int code) {
    if (code == 0 && failures == 0) {
        pass();
    }
    fail(code ? (u32)code : (u32)failures);
}

/* Default trap handler: report and fail. Tests that expect traps define
   their own (this one is weak). */
__attribute__((weak)) ulong trap_handler(ulong cause, ulong epc, ulong tval) {
    puts_("unexpected trap: mcause ");
    put_hex(cause);
    puts_(" mepc ");
    put_hex(epc);
    puts_(" mtval ");
    put_hex(tval);
    puts_("\n");
    fail(99);
}

__attribute__((weak)) void secondary(ulong hartid) {
    (void)hartid;
}
