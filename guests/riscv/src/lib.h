/* The guests' tiny runtime: UART output, the test finisher, checks. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

typedef unsigned long ulong;
typedef long slong;
typedef unsigned int u32;
typedef unsigned long long u64;

#define UART0 0x10000000UL
#define FINISHER 0x100000UL
#define CLINT 0x2000000UL

void putc_(char c);
void puts_(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
void pass(void) __attribute__((noreturn));
void fail(u32 code) __attribute__((noreturn));
void exit_with(int code) __attribute__((noreturn));

extern int failures;
#define CHECK(cond) do { if (!(cond)) { puts_("CHECK failed at line "); put_dec(__LINE__); puts_(": " #cond "\n"); failures++; } } while (0)
#define CHECK_EQ(a, b) do { u64 _a = (u64)(a), _b = (u64)(b); if (_a != _b) { puts_("CHECK_EQ failed at line "); put_dec(__LINE__); puts_(": "); put_hex(_a); puts_(" != "); put_hex(_b); puts_("\n"); failures++; } } while (0)

#endif
