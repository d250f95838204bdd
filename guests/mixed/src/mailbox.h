/* The mailbox, reset controller and shared memory of the mixed-width
   demo machine (machines/riscv-duo.toml), as each side sees them. */
#ifndef MAILBOX_H
#define MAILBOX_H
#include "../../riscv/src/lib.h"

#define MBOX 0x30000000UL
#define MBOX_SEND(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0x0))
#define MBOX_RECV(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0x4))
#define MBOX_DOORBELL(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0x8))
#define MBOX_ACK(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0xc))
#define MBOX_PENDING (*(volatile u32 *)(MBOX + 0x100))

#define CH_READY 0
#define CH_JOB 1

/* Where both sides keep a private word at the same address. */
#define PRIVATE_WORD (*(volatile u32 *)0x80f00000UL)

u32 crc32(const volatile unsigned char *p, u32 len);

#endif
