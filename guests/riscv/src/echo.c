/* The UART's receive side: reads a line typed on the console and echoes
   it back (feed it with `printf 'hello\n' | ...`). */
#include "lib.h"

static int getc_(void) {
    volatile unsigned char *uart = (volatile unsigned char *)UART0;
    while (!(uart[5] & 0x01)) {
    }
    return uart[0];
}

int main(ulong hartid) {
    (void)hartid;
    puts_("echo: type a line\n");
    char line[64];
    u32 n = 0;
    for (;;) {
        int c = getc_();
        if (c == '\r' || c == '\n' || n == sizeof line - 1) {
            break;
        }
        line[n++] = (char)c;
    }
    line[n] = 0;
    puts_("echo: got \"");
    puts_(line);
    puts_("\" (");
    put_dec(n);
    puts_(" characters)\n");
    return 0;
}
