/* What the two cores of machines/hetero-demo.toml agree on: the mailbox's
   registers and channels, and the layout of the shared SRAM. Each side
   maps both at addresses of its own, so everything in shared memory is
   an offset from its start, never a pointer. Include after lib.h. */
#ifndef HETERO_SHARED_H
#define HETERO_SHARED_H

/* Mailbox registers, relative to this side's window (MBOX, set by the
   includer). */
#define MBOX_SEND(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0x0))
#define MBOX_RECV(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0x4))
#define MBOX_DOORBELL(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0x8))
#define MBOX_ACK(c) (*(volatile u32 *)(MBOX + 0x10 * (c) + 0xc))
#define MBOX_PENDING (*(volatile u32 *)(MBOX + 0x100))

/* Channel 0: control (mcu: ready; app: stop; mcu: stopped).
   Channel 1: CRC-32 jobs. Channel 2: filter jobs. The message of a job
   channel is the job's index in the table, both ways. */
#define CH_CTRL 0
#define CH_CRC 1
#define CH_FILTER 2

#define KIND_CRC 1
#define KIND_FILTER 2

/* A job, 32 bytes. CRC-32: of `len` bytes at `src`; the answer is the
   CRC. Filter: y[n] = sat16((c0 x[n] + c1 x[n-1] + c2 x[n-2] + c3 x[n-3])
   >> shift) over `len` 16-bit samples at `src` (x[-k] = 0), written to
   `dst`; the answer is the sum of y, modulo 2^32. */
struct job {
    u32 kind;
    u32 src;
    u32 len;
    u32 dst;
    short coef[4];
    u32 shift;
    u32 result;
};

#define SHARED_MAGIC 0x48455452u /* "HETR" */
#define MAX_JOBS 16

struct shared {
    u32 magic;
    u32 jobs;
    u32 reserved[14];
    struct job job[MAX_JOBS];
};

#define SHARED_SIZE 0x10000u
#define DATA_OFFSET 0x1000u /* inputs */
#define OUT_OFFSET 0x8000u  /* filter outputs */

/* A word of private memory at the same address on both sides: the
   application core's RAM and the microcontroller's external RAM. */
#define PRIVATE_WORD (*(volatile u32 *)0x800ffff0UL)
#define APP_MARK 0x41505021u /* "APP!" */
#define MCU_MARK 0x4d435521u /* "MCU!" */

#endif
