//! The engine's intermediate representation: what a frontend turns guest
//! instructions into, and what the interpreter and the JIT execute.
//!
//! # Model
//!
//! A [`Block`](crate::Block) is a straight list of [`Op`]s ending in an
//! [`Exit`]. Values live in *temporaries* ([`Temp`]), typed [`Ty::I32`] or
//! [`Ty::I64`]. Temporaries are variables, not SSA values: an op may assign
//! one that was assigned before. A temporary of type `I32` always holds a
//! zero-extended 32-bit value. Guest registers are *globals* ([`Global`]),
//! 64-bit slots of the CPU's register file that the frontend lays out.
//!
//! Control may move forward inside a block through [`Label`]s
//! ([`Op::Branch`], [`Op::Jump`], [`Op::SetLabel`]); it never moves
//! backward, so every block runs in bounded time. The block ends at the
//! first [`Op::Exit`] reached.
//!
//! A branch usually goes to a label inside its own instruction. It may
//! also start a *side path*: a label placed where no op falls through
//! (after an exit), followed by more instructions, say a branch's taken
//! side that soon jumps back into the block. Instructions are therefore
//! counted along paths, not by position: an op's instruction count is
//! the number of `InsnStart`s a pass runs up to it, and every path into
//! a label must bring the same count ([`verify::insn_counts`]).
//!
//! Each guest instruction opens with [`Op::InsnStart`] carrying its pc.
//! When a load, store or helper raises a trap, the engine charges the
//! instructions before the current one as retired and hands the trap with
//! the current instruction's pc to the frontend.
//!
//! **Architectural state is complete at every `InsnStart`**: an
//! instruction writes all its results to globals (or memory, or through
//! helpers) before the next `InsnStart`; nothing an instruction computed
//! may wait in a temporary for a later instruction to commit. This is what
//! makes traps precise and lets the engine stop a block before any
//! instruction (single-step, breakpoints).
//!
//! # Operations
//!
//! Every operation is documented on its [`Op`] variant with its operand
//! types and exact result; the [`verify`] module checks those rules. The
//! arithmetic of [`BinOp`], [`UnOp`] and [`Cond`] is defined on the
//! variant docs, including every edge case (shift amounts, division by
//! zero, overflow), so that no backend has a choice to make; [`FloatOp`]'s
//! IEEE 754 operations fix their rounding and NaN results the same way.

mod builder;
mod display;
mod float;
mod op;
pub mod verify;

pub use builder::IrBuilder;
pub use float::{FloatConv, FloatOp, CANONICAL_NAN_32, CANONICAL_NAN_64};
pub use op::{
    sign_extend, sign_extend_to, BinOp, Cond, Exit, Global, HelperId, Label, MemOp, Op, Temp, Ty,
    UnOp,
};
