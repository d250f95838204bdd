/* hello: output over the UART and over semihosting (SYS_WRITEC,
   SYS_WRITE0, SYS_WRITE), then SYS_EXIT_EXTENDED with code 0. */
#include "lib.h"

int main(void) {
    puts_("hello from cortex-m\n");
    sh_write0("hello from semihosting SYS_WRITE0\n");
    sh_writec('W');
    sh_writec('C');
    sh_writec('\n');
    static const char msg[] = "hello from semihosting SYS_WRITE\n";
    u32 left = sh_write(msg, sizeof msg - 1);
    CHECK_EQ(left, 0);
    puts_("back on the UART\n");
    if (failures == 0) {
        puts_("PASS hello\n");
    } else {
        puts_("FAIL hello\n");
    }
    sh_exit_extended((u32)failures);
}
