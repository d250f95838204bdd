//! The IR verifier: checks the rules the [`Op`] docs state, so a backend
//! may rely on them. Run on every block in debug builds and in tests.

use super::{Exit, Op, Temp, Ty};

/// A broken IR rule, with the index of the op that breaks it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IR op {index}: {rule}")]
pub struct VerifyError {
    /// Index of the offending op.
    pub index: usize,
    /// The rule it breaks.
    pub rule: String,
}

/// Checks `ops` over temporaries typed `temps`, calling helpers below
/// `helper_count`.
pub fn verify(ops: &[Op], temps: &[Ty], helper_count: usize) -> Result<(), VerifyError> {
    let mut defined = vec![false; temps.len()];
    let mut label_set: Vec<Option<usize>> = Vec::new();
    let mut label_used: Vec<(usize, u32)> = Vec::new();
    let mut seen_insn = false;
    for (index, op) in ops.iter().enumerate() {
        let fail = |rule: String| Err(VerifyError { index, rule });
        let ty = |t: Temp| temps.get(t.0 as usize).copied();
        let check_use = |t: Temp, defined: &[bool]| -> Result<Ty, VerifyError> {
            match (ty(t), defined.get(t.0 as usize)) {
                (Some(ty), Some(true)) => Ok(ty),
                (None, _) => Err(VerifyError {
                    index,
                    rule: format!("t{} does not exist", t.0),
                }),
                _ => Err(VerifyError {
                    index,
                    rule: format!("t{} used before it is assigned", t.0),
                }),
            }
        };
        let check_def = |t: Temp| -> Result<Ty, VerifyError> {
            ty(t).ok_or(VerifyError {
                index,
                rule: format!("t{} does not exist", t.0),
            })
        };
        if !seen_insn && !matches!(op, Op::InsnStart { .. }) {
            return fail("the first op must be InsnStart".into());
        }
        match op {
            Op::InsnStart { .. } => seen_insn = true,
            Op::Const { dst, .. } | Op::GetGlobal { dst, .. } => {
                check_def(*dst)?;
            }
            Op::Mov { dst, src } => {
                let s = check_use(*src, &defined)?;
                if check_def(*dst)? != s {
                    return fail("Mov needs dst and src of one type".into());
                }
            }
            Op::SetGlobal { src, .. } => {
                check_use(*src, &defined)?;
            }
            Op::Unary { dst, src, .. } => {
                let s = check_use(*src, &defined)?;
                if check_def(*dst)? != s {
                    return fail("Unary needs dst and src of one type".into());
                }
            }
            Op::Binary { dst, a, b, .. } => {
                let ta = check_use(*a, &defined)?;
                let tb = check_use(*b, &defined)?;
                if ta != tb || check_def(*dst)? != ta {
                    return fail("Binary needs dst, a and b of one type".into());
                }
            }
            Op::Float { op, dst, args } => {
                let t = check_def(*dst)?;
                for a in &args[..op.arity()] {
                    if check_use(*a, &defined)? != t {
                        return fail("Float needs dst and its operands of one type".into());
                    }
                }
            }
            Op::FloatConvert { conv, dst, src } => {
                let s = check_use(*src, &defined)?;
                let resize = *conv == crate::ir::FloatConv::Resize;
                let d = check_def(*dst)?;
                if resize && d == s {
                    return fail("FloatConvert Resize needs dst and src of two types".into());
                }
            }
            Op::Compare { dst, a, b, .. } => {
                if check_use(*a, &defined)? != check_use(*b, &defined)? {
                    return fail("Compare needs a and b of one type".into());
                }
                check_def(*dst)?;
            }
            Op::Select {
                dst,
                cond,
                if_true,
                if_false,
            } => {
                check_use(*cond, &defined)?;
                let t = check_use(*if_true, &defined)?;
                if check_use(*if_false, &defined)? != t || check_def(*dst)? != t {
                    return fail("Select needs dst, if_true and if_false of one type".into());
                }
            }
            Op::Extend { dst, src, bits, .. } => {
                let s = check_use(*src, &defined)?;
                check_def(*dst)?;
                if *bits == 0 || u32::from(*bits) > s.bits() {
                    return fail(format!(
                        "Extend of {bits} bits from a {}-bit temp",
                        s.bits()
                    ));
                }
            }
            Op::Load { dst, addr, mem } => {
                check_use(*addr, &defined)?;
                let d = check_def(*dst)?;
                if !matches!(mem.size, 1 | 2 | 4 | 8) || u32::from(mem.size) * 8 > d.bits() {
                    return fail(format!(
                        "Load of {} bytes into a {}-bit temp",
                        mem.size,
                        d.bits()
                    ));
                }
            }
            Op::Store { addr, src, mem } => {
                check_use(*addr, &defined)?;
                let s = check_use(*src, &defined)?;
                if !matches!(mem.size, 1 | 2 | 4 | 8) || u32::from(mem.size) * 8 > s.bits() {
                    return fail(format!(
                        "Store of {} bytes from a {}-bit temp",
                        mem.size,
                        s.bits()
                    ));
                }
            }
            Op::Call { helper, dst, args } => {
                if helper.0 as usize >= helper_count {
                    return fail(format!("helper {} does not exist", helper.0));
                }
                if args.len() > 6 {
                    return fail("a helper takes at most 6 arguments".into());
                }
                for a in args {
                    check_use(*a, &defined)?;
                }
                if let Some(d) = dst {
                    check_def(*d)?;
                }
            }
            Op::Branch { cond, target } => {
                check_use(*cond, &defined)?;
                label_used.push((index, target.0));
            }
            Op::Jump { target } => label_used.push((index, target.0)),
            Op::SetLabel(label) => {
                let i = label.0 as usize;
                if label_set.len() <= i {
                    label_set.resize(i + 1, None);
                }
                if label_set[i].is_some() {
                    return fail(format!("label L{i} placed twice"));
                }
                label_set[i] = Some(index);
            }
            Op::Exit(exit) => {
                if let Exit::Jump { pc } = exit {
                    check_use(*pc, &defined)?;
                }
                if let Exit::Goto { slot, .. } = exit {
                    if *slot > 1 {
                        return fail("a block has chaining slots 0 and 1".into());
                    }
                }
            }
        }
        if let Some(d) = op_dst(op) {
            defined[d.0 as usize] = true;
        }
    }
    for (index, label) in label_used {
        match label_set.get(label as usize).copied().flatten() {
            Some(at) if at > index => {}
            Some(_) => {
                return Err(VerifyError {
                    index,
                    rule: format!("branch to L{label} goes backward"),
                })
            }
            None => {
                return Err(VerifyError {
                    index,
                    rule: format!("label L{label} is never placed"),
                })
            }
        }
    }
    insn_counts(ops)?;

    match ops.last() {
        Some(Op::Exit(_)) => Ok(()),
        _ => Err(VerifyError {
            index: ops.len().saturating_sub(1),
            rule: "a block ends with an Exit".into(),
        }),
    }
}

/// Each op's instruction count along the paths that reach it (the
/// number of `InsnStart`s run before it in a pass through the block, its
/// own included), and the index of the first branch to a side path (a
/// label in another instruction than the branch), if any. Fails where
/// paths with different counts meet at a label, or a branch does not go
/// forward.
pub fn insn_counts(ops: &[Op]) -> Result<(Vec<u32>, Option<usize>), VerifyError> {
    let mut placed: Vec<Option<usize>> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        if let Op::SetLabel(l) = op {
            let l = l.0 as usize;
            if placed.len() <= l {
                placed.resize(l + 1, None);
            }
            placed[l] = Some(index);
        }
    }
    let mut at_label: Vec<Option<u32>> = vec![None; placed.len()];
    let mut counts = Vec::with_capacity(ops.len());
    let (mut n, mut positional) = (0u32, 0u32);
    // Per label, the `InsnStart`s before it by position; per branch, its
    // index, label and the same count.
    let mut label_position: Vec<u32> = vec![0; placed.len()];
    let mut branches: Vec<(usize, usize, u32)> = Vec::new();
    // Whether the op before falls through to this one.
    let mut live = true;
    for (index, op) in ops.iter().enumerate() {
        let fail = |rule: String| Err(VerifyError { index, rule });
        match op {
            Op::SetLabel(l) => {
                if let Some(p) = label_position.get_mut(l.0 as usize) {
                    *p = positional;
                }
                match at_label.get(l.0 as usize).copied().flatten() {
                    Some(c) if live && c != n => {
                        return fail(format!(
                            "paths meet at L{} after {c} and {n} instructions",
                            l.0
                        ))
                    }
                    Some(c) => n = c,
                    None => {}
                }
            }
            Op::InsnStart { .. } => {
                n += 1;
                positional += 1;
            }
            _ => {}
        }
        live = true;
        counts.push(n);
        match op {
            Op::Branch { target, .. } | Op::Jump { target } => {
                let l = target.0 as usize;
                match placed.get(l).copied().flatten() {
                    Some(at) if at > index => {}
                    _ => return fail(format!("branch to L{l} does not go forward")),
                }
                match at_label[l] {
                    Some(c) if c != n => {
                        return fail(format!("branches to L{l} after {c} and {n} instructions"))
                    }
                    _ => at_label[l] = Some(n),
                }
                if matches!(op, Op::Branch { .. }) {
                    branches.push((index, l, positional));
                }
                live = !matches!(op, Op::Jump { .. });
            }
            Op::Exit(_) => live = false,
            _ => {}
        }
    }
    let first_side_branch = branches
        .iter()
        .find(|&&(_, l, p)| label_position[l] != p)
        .map(|&(index, ..)| index);
    Ok((counts, first_side_branch))
}

/// The temporary an op assigns, if any.
pub fn op_dst(op: &Op) -> Option<Temp> {
    match op {
        Op::Const { dst, .. }
        | Op::Mov { dst, .. }
        | Op::GetGlobal { dst, .. }
        | Op::Unary { dst, .. }
        | Op::Binary { dst, .. }
        | Op::Compare { dst, .. }
        | Op::Float { dst, .. }
        | Op::FloatConvert { dst, .. }
        | Op::Select { dst, .. }
        | Op::Extend { dst, .. }
        | Op::Load { dst, .. } => Some(*dst),
        Op::Call { dst, .. } => *dst,
        Op::InsnStart { .. }
        | Op::SetGlobal { .. }
        | Op::Store { .. }
        | Op::Branch { .. }
        | Op::Jump { .. }
        | Op::SetLabel(_)
        | Op::Exit(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinOp, IrBuilder};

    #[test]
    fn a_well_formed_block_verifies() {
        let mut b = IrBuilder::new();
        b.insn_start(0x100);
        let x = b.constant(Ty::I64, 5);
        let skip = b.label();
        b.branch(x, skip);
        let _ = b.add_imm(x, 1);
        b.set_label(skip);
        b.goto(0x104, 0);
        let (ops, temps) = b.take();
        verify(&ops, &temps, 0).unwrap();
    }

    #[test]
    fn type_mismatch_and_undefined_use_are_caught() {
        let mut b = IrBuilder::new();
        b.insn_start(0);
        let x = b.constant(Ty::I64, 5);
        let y = b.constant(Ty::I32, 5);
        let dst = b.temp(Ty::I64);
        let mut ops = b.ops().to_vec();
        ops.push(Op::Binary {
            op: BinOp::Add,
            dst,
            a: x,
            b: y,
        });
        ops.push(Op::Exit(Exit::Goto { pc: 0, slot: 0 }));
        let err = verify(&ops, b.temps(), 0).unwrap_err();
        assert!(err.rule.contains("one type"), "{err}");
        let ops = vec![
            Op::InsnStart {
                pc: 0,
                entry: false,
            },
            Op::SetGlobal {
                global: crate::ir::Global(0),
                src: dst,
            },
            Op::Exit(Exit::Goto { pc: 0, slot: 0 }),
        ];
        let err = verify(&ops, b.temps(), 0).unwrap_err();
        assert!(err.rule.contains("before it is assigned"), "{err}");
    }

    #[test]
    fn side_paths_count_from_their_branch() {
        let mut b = IrBuilder::new();
        b.insn_start(0);
        let c = b.constant(Ty::I32, 1);
        let side = b.label();
        b.branch(c, side);
        b.insn_start(4);
        b.insn_start(8);
        b.goto(12, 0);
        b.set_label(side);
        b.insn_start(100);
        b.goto(8, 1);
        let (ops, temps) = b.take();
        verify(&ops, &temps, 0).unwrap();
        let (counts, first_side_branch) = insn_counts(&ops).unwrap();
        // The branch, after the first instruction and a constant.
        assert_eq!(first_side_branch, Some(2));
        // The side path's instruction is the second of its pass.
        assert_eq!(counts[counts.len() - 1], 2);
        assert_eq!(counts[counts.len() - 4], 3);
    }

    #[test]
    fn paths_that_meet_with_different_counts_are_caught() {
        let mut b = IrBuilder::new();
        b.insn_start(0);
        let c = b.constant(Ty::I32, 1);
        let l = b.label();
        b.branch(c, l);
        b.insn_start(4);
        b.set_label(l);
        b.goto(8, 0);
        let (ops, temps) = b.take();
        assert!(verify(&ops, &temps, 0)
            .unwrap_err()
            .rule
            .contains("paths meet"));
    }

    #[test]
    fn missing_exit_and_backward_branch_are_caught() {
        let ops = vec![Op::InsnStart {
            pc: 0,
            entry: false,
        }];
        assert!(verify(&ops, &[], 0)
            .unwrap_err()
            .rule
            .contains("ends with an Exit"));
        let mut b = IrBuilder::new();
        b.insn_start(0);
        let l = b.label();
        b.set_label(l);
        let c = b.constant(Ty::I32, 1);
        b.branch(c, l);
        b.goto(0, 0);
        let (ops, temps) = b.take();
        assert!(verify(&ops, &temps, 0)
            .unwrap_err()
            .rule
            .contains("backward"));
    }
}
