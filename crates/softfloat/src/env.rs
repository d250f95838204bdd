//! The float environment: rounding mode, tininess rule, NaN rule, flush-to-zero
//! switches and the accumulated exception flags.
//!
//! The caller owns one [`FloatEnv`] per guest float unit (a RISC-V hart's
//! `fcsr`, a Cortex-M4's `FPSCR`) and passes it to every operation; nothing
//! here is global or thread-local, so architectures with different rules can
//! share one process. Translating guest CSR bits to and from these fields is
//! the frontend's job.

/// How an inexact result is rounded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Rounding {
    /// Round to nearest, ties to even (RISC-V RNE, ARM RN).
    NearestEven,
    /// Round toward zero (RISC-V RTZ, ARM RZ).
    TowardZero,
    /// Round toward negative infinity (RISC-V RDN, ARM RM).
    Down,
    /// Round toward positive infinity (RISC-V RUP, ARM RP).
    Up,
    /// Round to nearest, ties away from zero (RISC-V RMM; ARM has no such mode).
    NearestMaxMagnitude,
}

/// When a result counts as tiny for the underflow flag.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Tininess {
    /// Tiny if the exact result is below the smallest normal (ARM).
    BeforeRounding,
    /// Tiny if the result rounded to full precision with an unbounded exponent is
    /// below the smallest normal (RISC-V, x86).
    AfterRounding,
}

/// What NaN an operation returns when its result is NaN.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum NanRule {
    /// Always the format's default quiet NaN (RISC-V's canonical NaN).
    Canonical,
    /// The first signaling NaN operand, quieted, in operand order; else the first
    /// quiet NaN operand; the default NaN only when no operand is a NaN (ARM with
    /// `FPSCR.DN` clear).
    PropagateFirst,
}

/// Accumulated IEEE exception flags, plus ARM's input-denormal flag.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Debug)]
pub struct Flags(pub u8);

impl Flags {
    /// Invalid operation (RISC-V NV, ARM IOC).
    pub const INVALID: u8 = 1;
    /// Division of a finite nonzero number by zero (RISC-V DZ, ARM DZC).
    pub const DIV_BY_ZERO: u8 = 2;
    /// Rounded result too large for the format (RISC-V OF, ARM OFC).
    pub const OVERFLOW: u8 = 4;
    /// Tiny and inexact result, or a result flushed to zero (RISC-V UF, ARM UFC).
    pub const UNDERFLOW: u8 = 8;
    /// Rounded result differs from the exact one (RISC-V NX, ARM IXC).
    pub const INEXACT: u8 = 16;
    /// A subnormal input was flushed to zero (ARM IDC; never set on RISC-V).
    pub const INPUT_DENORMAL: u8 = 32;

    /// Whether every flag in `mask` is set.
    pub fn contains(self, mask: u8) -> bool {
        self.0 & mask == mask
    }
}

/// Everything an operation needs to know about the guest's float unit, and the
/// flags it accumulates.
///
/// A NaN result is the format's default NaN (`0x7e00`, `0x7fc0_0000`,
/// `0x7ff8_0000_0000_0000`) when `nan_rule` is [`NanRule::Canonical`] or
/// `use_default_nan` is set (ARM `FPSCR.DN`); otherwise it follows
/// [`NanRule::PropagateFirst`]. ARM's `FPSCR.FZ` sets both `flush_inputs` and
/// `flush_outputs`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FloatEnv {
    /// Rounding mode for operations that take none explicitly.
    pub rounding: Rounding,
    /// Tininess detection for the underflow flag.
    pub tininess: Tininess,
    /// NaN result rule.
    pub nan_rule: NanRule,
    /// Every NaN result is the default NaN, whatever `nan_rule` says (ARM `FPSCR.DN`).
    pub use_default_nan: bool,
    /// Subnormal inputs read as signed zero and set [`Flags::INPUT_DENORMAL`].
    pub flush_inputs: bool,
    /// Results whose exact value is below the smallest normal become signed zero
    /// and set [`Flags::UNDERFLOW`] only (not [`Flags::INEXACT`]), as ARM does.
    pub flush_outputs: bool,
    /// Flags accumulated by operations since the caller last cleared them.
    pub flags: Flags,
}

impl FloatEnv {
    /// RISC-V F/D/Zfh at reset: round to nearest even, tininess after rounding,
    /// canonical NaNs, no flushing.
    pub fn riscv() -> Self {
        Self {
            rounding: Rounding::NearestEven,
            tininess: Tininess::AfterRounding,
            nan_rule: NanRule::Canonical,
            use_default_nan: false,
            flush_inputs: false,
            flush_outputs: false,
            flags: Flags::default(),
        }
    }

    /// ARM VFP/FPv4-SP with `FPSCR` = 0: round to nearest even, tininess before
    /// rounding, NaN propagation, no default NaN, no flush-to-zero.
    pub fn arm() -> Self {
        Self {
            rounding: Rounding::NearestEven,
            tininess: Tininess::BeforeRounding,
            nan_rule: NanRule::PropagateFirst,
            use_default_nan: false,
            flush_inputs: false,
            flush_outputs: false,
            flags: Flags::default(),
        }
    }

    /// Returns the accumulated flags and clears them.
    pub fn take_flags(&mut self) -> Flags {
        core::mem::take(&mut self.flags)
    }

    /// Whether NaN results are always the default NaN.
    #[inline(always)]
    pub(crate) fn default_nan_only(&self) -> bool {
        self.use_default_nan || self.nan_rule == NanRule::Canonical
    }

    /// Sets the flags in `mask`.
    #[inline(always)]
    pub(crate) fn raise(&mut self, mask: u8) {
        self.flags.0 |= mask;
    }
}

/// The outcome of a comparison that may be unordered (ARM `VCMP`/`VCMPE`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ordering4 {
    /// `a < b`.
    Less,
    /// `a == b` (including `-0 == +0`).
    Equal,
    /// `a > b`.
    Greater,
    /// At least one operand is a NaN.
    Unordered,
}
