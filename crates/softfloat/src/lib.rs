//! IEEE 754 binary16/32/64 arithmetic on raw bits, with every
//! architecture-dependent choice read at run time from a [`FloatEnv`] the
//! caller owns.
//!
//! The RISC-V F/D/Zfh frontend and the ARM Cortex-M4 FPU share this crate in
//! one process with different semantics: rounding mode, tininess detection
//! (RISC-V after rounding, ARM before), NaN results (RISC-V canonical, ARM
//! propagating or `FPSCR.DN`), and ARM's flush-to-zero (`FPSCR.FZ`) are all
//! fields of the environment, and the flags an operation raises are ORed into
//! `env.flags`. There is no global or thread-local state and no host floating
//! point: every result and flag comes from integer arithmetic, generic over a
//! [`Format`] ([`F16`], [`F32`], [`F64`]).
//!
//! ```
//! use chimera_softfloat::{f32_add, FloatEnv, Flags};
//! let mut env = FloatEnv::riscv();
//! // 0.1 + 0.2 in binary32 is 0.3 rounded.
//! assert_eq!(f32_add(&mut env, 0x3dcc_cccd, 0x3e4c_cccd), 0x3e99_999a);
//! assert_eq!(env.flags, Flags(Flags::INEXACT));
//! ```
//!
//! Conventions every caller should know:
//!
//! - Every function takes the environment first, even the few that never
//!   raise a flag (`*_classify`), so call sites look alike.
//! - Flushing: `flush_inputs`/`flush_outputs` apply to all binary32/binary64
//!   operations, comparisons and conversions (ARM applies FZ everywhere), and
//!   to binary16 arithmetic too (set them from ARMv8.2's FZ16 for half
//!   precision); the binary16 side of a conversion is never flushed.
//! - NaN operand order: two-operand operations take `a` then `b`;
//!   `*_mul_add` takes `a, b, c`, and `*_mul_add_nan_order(.., true)` takes the
//!   addend `c` first, as ARM's VFMA does.
//! - RISC-V float-to-integer is `*_to_i32` etc. (NaN gives the largest
//!   positive value); ARM's is `*_to_i32_arm` etc. (NaN gives 0), and
//!   `*_to_fixed_arm`/`*_from_fixed_arm` cover VCVT with `#fbits`.
//!
//! What the caller still decides: which rounding mode an instruction uses
//! (static or dynamic), NaN-boxing, negating operands for VFMS/VFNMA or
//! `fnmadd` (negate the bits before the call; a NaN keeps the negated sign, as
//! on both architectures), two roundings for ARM's non-fused VMLA (`mul` then
//! `add`), and turning flags into guest CSR bits.

mod api;
mod arith;
mod compare;
mod convert;
mod env;
mod fma;
mod format;
mod hard;
mod nan;
mod round;

pub use api::*;
pub use env::{Flags, FloatEnv, NanRule, Ordering4, Rounding, Tininess};
pub use format::{Format, F16, F32, F64};
