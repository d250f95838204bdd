//! Register-preserving entries to the engine's memory trampolines, for
//! the slow paths of compiled loads and stores (x86-64 with the System V
//! convention: Unix hosts; elsewhere blocks call the trampolines
//! directly).
//!
//! A call to a trampoline of the host's convention clobbers every
//! caller-saved register, so Cranelift spills the values a block holds
//! around each load and store, on the fast path too. Calling through
//! these shims instead, declared `preserve_all` to Cranelift, clobbers
//! nothing: they save the caller-saved registers (and the SSE registers,
//! which hold float values) on the slow path only, align the stack, call
//! the trampoline and restore them. Their only register argument is the
//! context: the trampoline's arguments, and a load's result, go through
//! the context's argument slots, so that no value of the block has to
//! move to or from an argument register around the call (regalloc
//! splits such values on the fast path too, not knowing the call is
//! cold), and Cranelift expects a `preserve_all` callee to return nothing
//! in registers. Written by hand because no
//! crate provides such glue and Cranelift's own `preserve_all` functions
//! do not save the registers a call inside them clobbers.

/// Defines a shim that saves the caller-saved registers, runs `call`
/// (lines that load the trampoline's arguments from the context's
/// argument slots, at `{a}`, and call it) and `after_call`, and restores
/// them.
macro_rules! shim {
    ($(#[$doc:meta])* $name:ident, [$($call:literal),*], [$($after_call:literal),*]) => {
        $(#[$doc])*
        #[cfg(all(target_arch = "x86_64", unix))]
        #[unsafe(naked)]
        pub(crate) unsafe extern "C" fn $name() {
            core::arch::naked_asm!(
                "push rbp",
                "mov rbp, rsp",
                "sub rsp, 336",
                "and rsp, -16",
                "mov [rsp + 256], rcx",
                "mov [rsp + 264], rdx",
                "mov [rsp + 272], rsi",
                "mov [rsp + 280], rdi",
                "mov [rsp + 288], r8",
                "mov [rsp + 296], r9",
                "mov [rsp + 304], r10",
                "mov [rsp + 312], r11",
                "mov [rsp + 320], rax",
                "movdqa [rsp + 0], xmm0",
                "movdqa [rsp + 16], xmm1",
                "movdqa [rsp + 32], xmm2",
                "movdqa [rsp + 48], xmm3",
                "movdqa [rsp + 64], xmm4",
                "movdqa [rsp + 80], xmm5",
                "movdqa [rsp + 96], xmm6",
                "movdqa [rsp + 112], xmm7",
                "movdqa [rsp + 128], xmm8",
                "movdqa [rsp + 144], xmm9",
                "movdqa [rsp + 160], xmm10",
                "movdqa [rsp + 176], xmm11",
                "movdqa [rsp + 192], xmm12",
                "movdqa [rsp + 208], xmm13",
                "movdqa [rsp + 224], xmm14",
                "movdqa [rsp + 240], xmm15",
                $($call,)*
                $($after_call,)*
                "movdqa xmm0, [rsp + 0]",
                "movdqa xmm1, [rsp + 16]",
                "movdqa xmm2, [rsp + 32]",
                "movdqa xmm3, [rsp + 48]",
                "movdqa xmm4, [rsp + 64]",
                "movdqa xmm5, [rsp + 80]",
                "movdqa xmm6, [rsp + 96]",
                "movdqa xmm7, [rsp + 112]",
                "movdqa xmm8, [rsp + 128]",
                "movdqa xmm9, [rsp + 144]",
                "movdqa xmm10, [rsp + 160]",
                "movdqa xmm11, [rsp + 176]",
                "movdqa xmm12, [rsp + 192]",
                "movdqa xmm13, [rsp + 208]",
                "movdqa xmm14, [rsp + 224]",
                "movdqa xmm15, [rsp + 240]",
                "mov rcx, [rsp + 256]",
                "mov rdx, [rsp + 264]",
                "mov rsi, [rsp + 272]",
                "mov rdi, [rsp + 280]",
                "mov r8, [rsp + 288]",
                "mov r9, [rsp + 296]",
                "mov r10, [rsp + 304]",
                "mov r11, [rsp + 312]",
                "mov rax, [rsp + 320]",
                "mov rsp, rbp",
                "pop rbp",
                "ret",
                a = const chimera_engine::native::CTX_ARGS_OFFSET,
            );
        }
    };
}

shim!(
    /// `load_shim(ctx)`, with the context's argument slots holding
    /// `[addr, pc, info, trampoline]`: calls the load trampoline
    /// `trampoline(ctx, addr, pc, info)`, stores its result in the first
    /// slot and preserves every register.
    load_shim,
    [
        "mov rsi, [rdi + {a}]",
        "mov rdx, [rdi + {a} + 8]",
        "mov rcx, [rdi + {a} + 16]",
        "call [rdi + {a} + 24]"
    ],
    ["mov rdi, [rsp + 280]", "mov [rdi + {a}], rax"]
);

shim!(
    /// `store_shim(ctx)`, with the context's argument slots holding
    /// `[addr, value, pc, info, trampoline]`: calls the store trampoline
    /// `trampoline(ctx, addr, value, pc, info)` and preserves every
    /// register.
    store_shim,
    [
        "mov rsi, [rdi + {a}]",
        "mov rdx, [rdi + {a} + 8]",
        "mov rcx, [rdi + {a} + 16]",
        "mov r8, [rdi + {a} + 24]",
        "call [rdi + {a} + 32]"
    ],
    []
);
