//! The operations of the IR, each with its operands and semantics.

use chimera_memory::Endian;

use super::{FloatConv, FloatOp};

/// The type of a temporary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    /// 32-bit integer, held zero-extended.
    I32,
    /// 64-bit integer.
    I64,
}

impl Ty {
    /// Width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Ty::I32 => 32,
            Ty::I64 => 64,
        }
    }

    /// Mask of the valid bits.
    pub fn mask(self) -> u64 {
        match self {
            Ty::I32 => u32::MAX as u64,
            Ty::I64 => u64::MAX,
        }
    }
}

/// A temporary: an index into the block's table of typed variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Temp(pub u32);

/// A forward branch target inside a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// A 64-bit slot of the CPU's register file, laid out by the frontend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Global(pub u32);

/// An index into the frontend's helper table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HelperId(pub u32);

/// A memory access as a load or store describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemOp {
    /// Bytes moved: 1, 2, 4 or 8.
    pub size: u8,
    /// For loads: sign-extend (`true`) or zero-extend to the result type.
    pub signed: bool,
    /// Byte order of the access.
    pub endian: Endian,
}

/// Two-operand integer operations. Both operands and the result have the
/// same type `T` of width `W` bits; arithmetic wraps modulo 2^W.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// Low W bits of `a * b`.
    Mul,
    /// High W bits of the 2W-bit product of `a` and `b` as signed.
    MulHighSigned,
    /// High W bits of the 2W-bit product of `a` and `b` as unsigned.
    MulHighUnsigned,
    /// High W bits of the 2W-bit product of signed `a` and unsigned `b`.
    MulHighSignedUnsigned,
    /// Signed `a / b` rounded toward zero; `b == 0` gives all ones (-1);
    /// `MIN / -1` gives `MIN`.
    DivSigned,
    /// Unsigned `a / b`; `b == 0` gives all ones.
    DivUnsigned,
    /// Signed remainder with the sign of `a`; `b == 0` gives `a`;
    /// `MIN % -1` gives 0.
    RemSigned,
    /// Unsigned remainder; `b == 0` gives `a`.
    RemUnsigned,
    /// Bitwise and.
    And,
    /// Bitwise or.
    Or,
    /// Bitwise exclusive or.
    Xor,
    /// `a << (b mod W)`.
    Shl,
    /// Logical `a >> (b mod W)`.
    ShrUnsigned,
    /// Arithmetic `a >> (b mod W)`.
    ShrSigned,
    /// Rotate `a` left by `b mod W`.
    RotateLeft,
    /// Rotate `a` right by `b mod W`.
    RotateRight,
}

/// One-operand integer operations; operand and result share a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Bitwise not.
    Not,
    /// Two's-complement negation.
    Neg,
    /// Number of leading zero bits (W for zero).
    CountLeadingZeros,
    /// Number of trailing zero bits (W for zero).
    CountTrailingZeros,
    /// Number of one bits.
    PopCount,
    /// Byte order reversed.
    ByteSwap,
}

/// Comparisons; the result is 1 when true, 0 when false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// Signed `a < b`.
    LtSigned,
    /// Signed `a >= b`.
    GeSigned,
    /// Unsigned `a < b`.
    LtUnsigned,
    /// Unsigned `a >= b`.
    GeUnsigned,
}

/// How a block ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// Continue at a pc known when translating. The engine may chain the
    /// block straight to its successor (slot `slot`, 0 or 1).
    Goto {
        /// The next guest pc.
        pc: u64,
        /// The block's chaining slot for this exit.
        slot: u8,
    },
    /// Continue at the pc in a temporary (indirect jump, return).
    Jump {
        /// Holds the next pc (`I32` or `I64`).
        pc: Temp,
    },
    /// Continue at `pc`, but return to the execution loop first, so that
    /// interrupts, halts and changed CPU modes are looked at before the
    /// next block. Used after instructions that change such state.
    Return {
        /// The next guest pc.
        pc: u64,
    },
}

/// One IR operation. Operand type rules are checked by
/// [`verify`](crate::ir::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Marks the start of the guest instruction at `pc`; every instruction
    /// has one before its other ops.
    InsnStart {
        /// The instruction's address.
        pc: u64,
        /// Whether its ops (and those after it) are what a block starting
        /// at `pc` would hold: an exit to `pc` may go on here instead
        /// (see [`IrBuilder::entry_insn_start`](crate::ir::IrBuilder::entry_insn_start)).
        entry: bool,
    },
    /// `dst = value`, truncated to `dst`'s type.
    Const {
        /// Destination, any type.
        dst: Temp,
        /// The value.
        value: u64,
    },
    /// `dst = src`; both of one type.
    Mov {
        /// Destination.
        dst: Temp,
        /// Source, same type.
        src: Temp,
    },
    /// `dst = global`, truncated to `dst`'s type.
    GetGlobal {
        /// Destination, any type.
        dst: Temp,
        /// The register slot.
        global: Global,
    },
    /// `global = src`, zero-extended to 64 bits.
    SetGlobal {
        /// The register slot.
        global: Global,
        /// Source, any type.
        src: Temp,
    },
    /// `dst = op src`; operand and result of one type.
    Unary {
        /// The operation.
        op: UnOp,
        /// Destination.
        dst: Temp,
        /// Operand, same type.
        src: Temp,
    },
    /// `dst = a op b`; operands and result of one type.
    Binary {
        /// The operation.
        op: BinOp,
        /// Destination.
        dst: Temp,
        /// First operand, same type.
        a: Temp,
        /// Second operand, same type.
        b: Temp,
    },
    /// `dst = (a cond b) ? 1 : 0`; `a` and `b` of one type, `dst` any type.
    Compare {
        /// The comparison.
        cond: Cond,
        /// Destination, any type.
        dst: Temp,
        /// First operand.
        a: Temp,
        /// Second operand, same type.
        b: Temp,
    },
    /// `dst = cond != 0 ? if_true : if_false`; `dst`, `if_true` and
    /// `if_false` of one type, `cond` any type.
    Select {
        /// Destination.
        dst: Temp,
        /// Tested against zero.
        cond: Temp,
        /// Chosen when `cond != 0`.
        if_true: Temp,
        /// Chosen when `cond == 0`.
        if_false: Temp,
    },
    /// `dst` = the low `bits` bits of `src`, sign- or zero-extended to
    /// `dst`'s width. `bits` is 1 to the width of `src`. Narrowing an `I64`
    /// to an `I32` is `Extend { bits: 32, signed: false }`.
    Extend {
        /// Destination, any type.
        dst: Temp,
        /// Source, any type.
        src: Temp,
        /// How many low bits of `src` are kept.
        bits: u8,
        /// Sign-extend (`true`) or zero-extend.
        signed: bool,
    },
    /// `dst` = `mem.size` bytes at address `addr` in the CPU's view,
    /// extended per `mem.signed` to `dst`'s type (`size` at most its
    /// width). `addr` is `I32` or `I64`, zero-extended. A fault traps.
    Load {
        /// Destination.
        dst: Temp,
        /// Address.
        addr: Temp,
        /// Size, extension and byte order.
        mem: MemOp,
    },
    /// Stores the low `mem.size` bytes of `src` at `addr`. A fault traps.
    Store {
        /// Address (`I32` or `I64`).
        addr: Temp,
        /// Value.
        src: Temp,
        /// Size and byte order (`signed` is ignored).
        mem: MemOp,
    },
    /// `dst = op(args)` on IEEE 754 bit patterns: binary32 when `dst` is
    /// `I32`, binary64 when `I64`; see [`FloatOp`] for the exact results.
    /// The first `op.arity()` args are read, each of `dst`'s type; the
    /// rest are ignored.
    Float {
        /// The operation.
        op: FloatOp,
        /// Destination; also the operands' type.
        dst: Temp,
        /// Operands.
        args: [Temp; 3],
    },
    /// `dst = conv(src)`: see [`FloatConv`]; the types of `src` and `dst`
    /// give the widths and formats (different for `Resize`).
    FloatConvert {
        /// The conversion.
        conv: FloatConv,
        /// Destination.
        dst: Temp,
        /// Operand.
        src: Temp,
    },
    /// Calls helper `helper` of the frontend with the arguments
    /// zero-extended to 64 bits; its result, truncated, goes to `dst`.
    /// A helper may read and change any CPU state and may trap.
    Call {
        /// The helper.
        helper: HelperId,
        /// Where the result goes, if anywhere.
        dst: Option<Temp>,
        /// Arguments (at most 6).
        args: Vec<Temp>,
    },
    /// Goes forward to `target` when `cond != 0`.
    Branch {
        /// Tested against zero.
        cond: Temp,
        /// A label set later in the block.
        target: Label,
    },
    /// Goes forward to `target`.
    Jump {
        /// A label set later in the block.
        target: Label,
    },
    /// Places a label; each label is placed once.
    SetLabel(Label),
    /// Ends the block.
    Exit(Exit),
}

impl BinOp {
    /// Evaluates the operation at width `ty`; the reference semantics
    /// every backend follows.
    pub fn eval(self, ty: Ty, a: u64, b: u64) -> u64 {
        let w = ty.bits();
        let mask = ty.mask();
        let (a, b) = (a & mask, b & mask);
        let sa = sign_extend(a, w);
        let sb = sign_extend(b, w);
        let smin = 1u64 << (w - 1);
        let r = match self {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::MulHighSigned => ((sa as i128 * sb as i128) >> w) as u64,
            BinOp::MulHighUnsigned => ((a as u128 * b as u128) >> w) as u64,
            BinOp::MulHighSignedUnsigned => ((sa as i128 * b as i128) >> w) as u64,
            BinOp::DivSigned => {
                if b == 0 {
                    mask
                } else if a == smin && b == mask {
                    a
                } else {
                    (sa / sb) as u64
                }
            }
            BinOp::DivUnsigned => a.checked_div(b).unwrap_or(mask),
            BinOp::RemSigned => {
                if b == 0 {
                    a
                } else if a == smin && b == mask {
                    0
                } else {
                    (sa % sb) as u64
                }
            }
            BinOp::RemUnsigned => a.checked_rem(b).unwrap_or(a),
            BinOp::And => a & b,
            BinOp::Or => a | b,
            BinOp::Xor => a ^ b,
            BinOp::Shl => a << (b % w as u64),
            BinOp::ShrUnsigned => a >> (b % w as u64),
            BinOp::ShrSigned => (sa >> (b % w as u64)) as u64,
            BinOp::RotateLeft => match ty {
                Ty::I32 => (a as u32).rotate_left((b % 32) as u32) as u64,
                Ty::I64 => a.rotate_left((b % 64) as u32),
            },
            BinOp::RotateRight => match ty {
                Ty::I32 => (a as u32).rotate_right((b % 32) as u32) as u64,
                Ty::I64 => a.rotate_right((b % 64) as u32),
            },
        };
        r & mask
    }
}

impl UnOp {
    /// Evaluates the operation at width `ty`.
    pub fn eval(self, ty: Ty, a: u64) -> u64 {
        let mask = ty.mask();
        let a = a & mask;
        let r = match (self, ty) {
            (UnOp::Not, _) => !a,
            (UnOp::Neg, _) => a.wrapping_neg(),
            (UnOp::CountLeadingZeros, Ty::I32) => (a as u32).leading_zeros() as u64,
            (UnOp::CountLeadingZeros, Ty::I64) => a.leading_zeros() as u64,
            (UnOp::CountTrailingZeros, Ty::I32) => (a as u32).trailing_zeros() as u64,
            (UnOp::CountTrailingZeros, Ty::I64) => a.trailing_zeros() as u64,
            (UnOp::PopCount, _) => a.count_ones() as u64,
            (UnOp::ByteSwap, Ty::I32) => (a as u32).swap_bytes() as u64,
            (UnOp::ByteSwap, Ty::I64) => a.swap_bytes(),
        };
        r & mask
    }
}

impl Cond {
    /// The comparison true exactly when this one is false.
    pub fn inverse(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::LtSigned => Cond::GeSigned,
            Cond::GeSigned => Cond::LtSigned,
            Cond::LtUnsigned => Cond::GeUnsigned,
            Cond::GeUnsigned => Cond::LtUnsigned,
        }
    }

    /// Evaluates the comparison at width `ty`.
    pub fn eval(self, ty: Ty, a: u64, b: u64) -> bool {
        let w = ty.bits();
        let (a, b) = (a & ty.mask(), b & ty.mask());
        let (sa, sb) = (sign_extend(a, w), sign_extend(b, w));
        match self {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::LtSigned => sa < sb,
            Cond::GeSigned => sa >= sb,
            Cond::LtUnsigned => a < b,
            Cond::GeUnsigned => a >= b,
        }
    }
}

/// Keeps the low `bits` bits of `value` and extends them (signed or not) to
/// type `ty`: the semantics of [`Op::Extend`] and of load extension.
pub fn sign_extend_to(value: u64, bits: u32, signed: bool, ty: Ty) -> u64 {
    let v = if signed {
        sign_extend(value, bits) as u64
    } else if bits >= 64 {
        value
    } else {
        value & ((1u64 << bits) - 1)
    };
    v & ty.mask()
}

/// Sign-extends the low `bits` bits of `value` to 64 bits.
pub fn sign_extend(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_edge_cases_are_defined() {
        use BinOp::*;
        assert_eq!(DivSigned.eval(Ty::I32, 7, 0), 0xffff_ffff);
        assert_eq!(DivUnsigned.eval(Ty::I64, 7, 0), u64::MAX);
        assert_eq!(RemSigned.eval(Ty::I32, 7, 0), 7);
        assert_eq!(RemUnsigned.eval(Ty::I32, 7, 0), 7);
        assert_eq!(
            DivSigned.eval(Ty::I32, 0x8000_0000, 0xffff_ffff),
            0x8000_0000
        );
        assert_eq!(RemSigned.eval(Ty::I32, 0x8000_0000, 0xffff_ffff), 0);
        assert_eq!(DivSigned.eval(Ty::I64, (-7i64) as u64, 2), (-3i64) as u64);
        assert_eq!(RemSigned.eval(Ty::I64, (-7i64) as u64, 2), (-1i64) as u64);
    }

    #[test]
    fn shifts_take_the_amount_modulo_the_width() {
        use BinOp::*;
        assert_eq!(Shl.eval(Ty::I32, 1, 33), 2);
        assert_eq!(Shl.eval(Ty::I64, 1, 63), 1 << 63);
        assert_eq!(ShrSigned.eval(Ty::I32, 0x8000_0000, 31), 0xffff_ffff);
        assert_eq!(ShrUnsigned.eval(Ty::I64, u64::MAX, 0), u64::MAX);
    }

    #[test]
    fn high_multiplies_follow_operand_signedness() {
        use BinOp::*;
        let m1 = u64::MAX;
        assert_eq!(MulHighSigned.eval(Ty::I64, m1, m1), 0);
        assert_eq!(MulHighUnsigned.eval(Ty::I64, m1, m1), m1 - 1);
        assert_eq!(MulHighSignedUnsigned.eval(Ty::I64, m1, m1), m1);
        assert_eq!(MulHighSigned.eval(Ty::I32, 0xffff_ffff, 2), 0xffff_ffff);
    }

    #[test]
    fn an_inverse_condition_holds_exactly_when_the_condition_does_not() {
        use Cond::*;
        let values = [0, 1, 0x7fff_ffff, 0x8000_0000, u64::MAX];
        for c in [Eq, Ne, LtSigned, GeSigned, LtUnsigned, GeUnsigned] {
            for ty in [Ty::I32, Ty::I64] {
                for a in values {
                    for b in values {
                        assert_ne!(c.eval(ty, a, b), c.inverse().eval(ty, a, b));
                    }
                }
            }
        }
    }

    #[test]
    fn unary_ops_at_both_widths() {
        assert_eq!(UnOp::CountLeadingZeros.eval(Ty::I32, 0), 32);
        assert_eq!(UnOp::CountTrailingZeros.eval(Ty::I64, 0), 64);
        assert_eq!(UnOp::Neg.eval(Ty::I32, 1), 0xffff_ffff);
        assert_eq!(UnOp::ByteSwap.eval(Ty::I32, 0x1122_3344), 0x4433_2211);
        assert!(Cond::LtSigned.eval(Ty::I32, 0xffff_ffff, 0));
        assert!(!Cond::LtUnsigned.eval(Ty::I32, 0xffff_ffff, 0));
    }
}
