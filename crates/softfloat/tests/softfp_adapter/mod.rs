//! softfp reads its rounding mode and reports flags through registered
//! callbacks; this adapter keeps both per thread so tests can run in parallel.

use chimera_softfloat::{Flags, Rounding};
use softfp::{ExceptionFlags, RoundingMode};
use std::cell::Cell;

thread_local! {
    static MODE: Cell<RoundingMode> = const { Cell::new(RoundingMode::TiesToEven) };
    static RAISED: Cell<u32> = const { Cell::new(0) };
}

fn get_mode() -> RoundingMode {
    MODE.with(Cell::get)
}

fn raise(f: ExceptionFlags) {
    RAISED.with(|r| r.set(r.get() | f.bits()));
}

/// Runs `f` under `rounding`, returning its result and our flags.
pub fn run<R>(rounding: Rounding, f: impl FnOnce() -> R) -> (R, u8) {
    softfp::register_get_rounding_mode(get_mode);
    softfp::register_set_exception_flags(raise);
    MODE.with(|m| {
        m.set(match rounding {
            Rounding::NearestEven => RoundingMode::TiesToEven,
            Rounding::TowardZero => RoundingMode::TowardZero,
            Rounding::Down => RoundingMode::TowardNegative,
            Rounding::Up => RoundingMode::TowardPositive,
            Rounding::NearestMaxMagnitude => RoundingMode::TiesToAway,
        })
    });
    RAISED.with(|r| r.set(0));
    let result = f();
    let raised = RAISED.with(Cell::get);
    let mut flags = 0;
    for (bit, flag) in [
        (ExceptionFlags::INEXACT, Flags::INEXACT),
        (ExceptionFlags::UNDERFLOW, Flags::UNDERFLOW),
        (ExceptionFlags::OVERFLOW, Flags::OVERFLOW),
        (ExceptionFlags::DIVIDE_BY_ZERO, Flags::DIV_BY_ZERO),
        (ExceptionFlags::INVALID_OPERATION, Flags::INVALID),
    ] {
        if raised & bit.bits() != 0 {
            flags |= flag;
        }
    }
    (result, flags)
}
