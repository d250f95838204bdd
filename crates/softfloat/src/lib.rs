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
//! What the caller still decides: which rounding mode an instruction uses
//! (static or dynamic), NaN-boxing, negating operands for VFMS/VFNMA or
//! `fnmadd` (negate the bits before the call; a NaN keeps the negated sign, as
//! on both architectures), and turning flags into guest CSR bits.

mod api;
mod arith;
mod compare;
mod convert;
mod env;
mod fma;
mod format;
mod nan;
mod round;

pub use api::*;
pub use env::{Flags, FloatEnv, NanRule, Ordering4, Rounding, Tininess};
pub use format::{Format, F16, F32, F64};
