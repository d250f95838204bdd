//! A text form of IR ops, for dumps and test failures.

use std::fmt;

use super::{Exit, Op};

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::InsnStart { pc, entry: false } => write!(f, "---- {pc:#x}"),
            Op::InsnStart { pc, entry: true } => write!(f, "---- {pc:#x} (entry)"),
            Op::Const { dst, value } => write!(f, "t{} = const {value:#x}", dst.0),
            Op::Mov { dst, src } => write!(f, "t{} = t{}", dst.0, src.0),
            Op::GetGlobal { dst, global } => write!(f, "t{} = g{}", dst.0, global.0),
            Op::SetGlobal { global, src } => write!(f, "g{} = t{}", global.0, src.0),
            Op::Unary { op, dst, src } => write!(f, "t{} = {op:?} t{}", dst.0, src.0),
            Op::Binary { op, dst, a, b } => {
                write!(f, "t{} = {op:?} t{}, t{}", dst.0, a.0, b.0)
            }
            Op::Float { op, dst, args } => {
                write!(f, "t{} = float.{op:?}", dst.0)?;
                for (i, a) in args[..op.arity()].iter().enumerate() {
                    write!(f, "{} t{}", if i == 0 { "" } else { "," }, a.0)?;
                }
                Ok(())
            }
            Op::FloatConvert { conv, dst, src } => {
                write!(f, "t{} = float.{conv:?} t{}", dst.0, src.0)
            }
            Op::Compare { cond, dst, a, b } => {
                write!(f, "t{} = cmp.{cond:?} t{}, t{}", dst.0, a.0, b.0)
            }
            Op::Select {
                dst,
                cond,
                if_true,
                if_false,
            } => write!(
                f,
                "t{} = t{} ? t{} : t{}",
                dst.0, cond.0, if_true.0, if_false.0
            ),
            Op::Extend {
                dst,
                src,
                bits,
                signed,
            } => write!(
                f,
                "t{} = {}ext{bits} t{}",
                dst.0,
                if *signed { 's' } else { 'z' },
                src.0
            ),
            Op::Load { dst, addr, mem } => write!(
                f,
                "t{} = load.{}{}.{:?} [t{}]",
                dst.0,
                if mem.signed { 's' } else { 'u' },
                mem.size * 8,
                mem.endian,
                addr.0
            ),
            Op::Store { addr, src, mem } => write!(
                f,
                "store.{}.{:?} [t{}] = t{}",
                mem.size * 8,
                mem.endian,
                addr.0,
                src.0
            ),
            Op::Call { helper, dst, args } => {
                if let Some(d) = dst {
                    write!(f, "t{} = ", d.0)?;
                }
                write!(f, "call h{}(", helper.0)?;
                for (i, a) in args.iter().enumerate() {
                    write!(f, "{}t{}", if i > 0 { ", " } else { "" }, a.0)?;
                }
                f.write_str(")")
            }
            Op::Branch { cond, target } => write!(f, "if t{} goto L{}", cond.0, target.0),
            Op::Jump { target } => write!(f, "goto L{}", target.0),
            Op::SetLabel(l) => write!(f, "L{}:", l.0),
            Op::Exit(Exit::Goto { pc, slot }) => write!(f, "exit goto {pc:#x} (slot {slot})"),
            Op::Exit(Exit::Jump { pc }) => write!(f, "exit jump t{}", pc.0),
            Op::Exit(Exit::Return { pc }) => write!(f, "exit return {pc:#x}"),
        }
    }
}
