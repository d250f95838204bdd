#include "lib.h"

int main(ulong hartid) {
    puts_("Hello from RISC-V (rv");
    put_dec(sizeof(long) * 8);
    puts_("), hart ");
    put_dec(hartid);
    puts_("\n");
    return 0;
}
