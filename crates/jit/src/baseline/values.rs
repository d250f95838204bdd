//! Where the first tier keeps each temporary's value while it walks a
//! block's ops once: in its stack slot, or nowhere yet because it is a
//! known constant or a copy of a global still unchanged in the register
//! file, or in `rax` between the op that makes it and its one reader right
//! after. Operands are then taken from where they are (an immediate, the
//! register file, `rax`), and a slot is written only when a later op may
//! need it from there: before a branch or a label (paths meet there), and
//! before what would change the global a value copies.
//!
//! Control flow inside a block only goes forward (the IR verifier's rule,
//! checked again by the first tier), so a temporary is needed past a
//! point exactly when it has reads left after it in op order.

use chimera_engine::ir::verify::op_dst;
use chimera_engine::ir::{Exit, Op, Temp};

/// Where a temporary's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Loc {
    /// Its stack slot.
    Slot,
    /// This constant, cut to the temporary's type.
    Const(u64),
    /// What global `g` holds now, cut to the temporary's type.
    Global(u32),
    /// `rax`, until the next op reads it.
    Rax,
}

/// The temporaries' places while a block is compiled.
#[derive(Debug)]
pub(super) struct Values {
    locs: Vec<Loc>,
    /// Whether the slot holds the value too.
    stored: Vec<bool>,
    /// Reads left, in op order.
    left: Vec<u32>,
    /// Per op: its result stays in `rax` for the next op, its only reader.
    to_rax: Vec<bool>,
    /// The temporaries not in [`Loc::Slot`] (a superset: pruned as they
    /// are looked at), so that a walk over them costs what few there are.
    tracked: Vec<Temp>,
}

/// Calls `f` on each temporary `op` reads, in order.
pub(super) fn each_read(op: &Op, mut f: impl FnMut(Temp)) {
    match op {
        Op::Mov { src, .. }
        | Op::Unary { src, .. }
        | Op::Extend { src, .. }
        | Op::FloatConvert { src, .. }
        | Op::SetGlobal { src, .. } => f(*src),
        Op::Binary { a, b, .. } | Op::Compare { a, b, .. } => {
            f(*a);
            f(*b);
        }
        Op::Float { op, args, .. } => args[..op.arity()].iter().copied().for_each(f),
        Op::Select {
            cond,
            if_true,
            if_false,
            ..
        } => {
            f(*cond);
            f(*if_true);
            f(*if_false);
        }
        Op::Load { addr, .. } => f(*addr),
        Op::Store { addr, src, .. } => {
            f(*addr);
            f(*src);
        }
        Op::Call { args, .. } => args.iter().copied().for_each(f),
        Op::Branch { cond, .. } => f(*cond),
        Op::Exit(Exit::Jump { pc }) => f(*pc),
        Op::InsnStart { .. }
        | Op::Const { .. }
        | Op::GetGlobal { .. }
        | Op::Jump { .. }
        | Op::SetLabel(_)
        | Op::Exit(_) => {}
    }
}

/// How many of `op`'s operands are `t`.
pub(super) fn reads(op: &Op, t: Temp) -> u32 {
    let mut n = 0;
    each_read(op, |r| n += u32::from(r == t));
    n
}

/// Whether `op` makes no code that could change `rax` (a value left there
/// waits across it for its reader).
pub(super) fn leaves_rax(op: &Op) -> bool {
    // An instruction start at most tests the budget register and leaves
    // the block out of line.
    matches!(
        op,
        Op::Const { .. } | Op::GetGlobal { .. } | Op::InsnStart { .. }
    )
}

/// The operand `op` may take from `rax`: the one it reads first, before
/// anything it does overwrites `rax`.
pub(super) fn rax_operand(op: &Op) -> Option<Temp> {
    match op {
        Op::Mov { src, .. }
        | Op::SetGlobal { src, .. }
        | Op::Extend { src, .. }
        | Op::Unary { src, .. }
        | Op::FloatConvert { src, .. } => Some(*src),
        Op::Binary { a, .. } | Op::Compare { a, .. } => Some(*a),
        Op::Float { args, .. } => Some(args[0]),
        Op::Select { if_false, .. } => Some(*if_false),
        Op::Load { addr, .. } => Some(*addr),
        Op::Store { src, .. } => Some(*src),
        Op::Branch { cond, .. } => Some(*cond),
        Op::Exit(Exit::Jump { pc }) => Some(*pc),
        _ => None,
    }
}

impl Values {
    /// The places of `temps` temporaries for `ops`, all in their slots.
    pub(super) fn new(ops: &[Op], temps: usize) -> Self {
        let mut left = vec![0u32; temps];
        let mut defs = vec![0u32; temps];
        for op in ops {
            each_read(op, |t| {
                if let Some(n) = left.get_mut(t.0 as usize) {
                    *n += 1;
                }
            });
            if let Some(d) = op_dst(op).and_then(|d| defs.get_mut(d.0 as usize)) {
                *d += 1;
            }
        }
        let to_rax = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let Some(d) = op_dst(op) else {
                    return false;
                };
                let once = |v: &[u32]| v.get(d.0 as usize) == Some(&1);
                let next = ops[i + 1..].iter().find(|op| !leaves_rax(op));
                once(&left)
                    && once(&defs)
                    && next.and_then(rax_operand) == Some(d)
                    && next.is_some_and(|next| reads(next, d) == 1)
            })
            .collect();
        Values {
            locs: vec![Loc::Slot; temps],
            stored: vec![true; temps],
            left,
            to_rax,
            tracked: Vec::new(),
        }
    }

    /// Where `t` is.
    pub(super) fn loc(&self, t: Temp) -> Loc {
        self.locs.get(t.0 as usize).copied().unwrap_or(Loc::Slot)
    }

    /// Notes the reads of the op about to be compiled.
    pub(super) fn read(&mut self, op: &Op) {
        let left = &mut self.left;
        each_read(op, |t| {
            if let Some(n) = left.get_mut(t.0 as usize) {
                *n = n.saturating_sub(1);
            }
        });
    }

    /// Whether op `i`'s result stays in `rax` for the next op.
    pub(super) fn keep_in_rax(&self, i: usize) -> bool {
        self.to_rax.get(i).copied().unwrap_or(false)
    }

    /// `t` now holds a new value, at `loc` (and in its slot when
    /// `stored`).
    pub(super) fn define(&mut self, t: Temp, loc: Loc, stored: bool) {
        if let Some(l) = self.locs.get_mut(t.0 as usize) {
            // The list holds exactly the temporaries away from Slot.
            if *l == Loc::Slot && loc != Loc::Slot {
                self.tracked.push(t);
            }
            *l = loc;
            self.stored[t.0 as usize] = stored;
        }
    }

    /// Drops from the tracked list what needs no tracking any more: the
    /// temporaries read no more whose slots hold them go back to Slot.
    fn prune(&mut self) {
        let (locs, left, stored) = (&mut self.locs, &self.left, &self.stored);
        self.tracked.retain(|t| {
            let i = t.0 as usize;
            let keep = locs[i] != Loc::Slot && (left[i] > 0 || !stored[i]);
            if !keep {
                locs[i] = Loc::Slot;
            }
            keep
        });
    }

    /// `t`'s value is at `loc` now, its slot holding it or not as before.
    pub(super) fn relocate(&mut self, t: Temp, loc: Loc) {
        if let Some(l) = self.locs.get_mut(t.0 as usize) {
            if *l == Loc::Slot && loc != Loc::Slot {
                self.tracked.push(t);
            }
            *l = loc;
        }
    }

    /// `t`'s slot now holds its value (which stays where it also is).
    pub(super) fn mark_stored(&mut self, t: Temp) {
        if let Some(s) = self.stored.get_mut(t.0 as usize) {
            *s = true;
        }
    }

    /// Temporaries read later whose slots do not hold their values.
    pub(super) fn unstored_live(&mut self) -> Vec<Temp> {
        self.prune();
        self.tracked
            .iter()
            .copied()
            .filter(|t| !self.stored[t.0 as usize] && self.left[t.0 as usize] > 0)
            .collect()
    }

    /// Temporaries read later that copy global `g` (any global when
    /// `None`). The op being compiled has had its reads noted: a copy it
    /// reads last is left out, which is right as long as the op takes its
    /// operands before the global changes (the register file is written
    /// only by the op's own code, after that).
    pub(super) fn copies_of(&mut self, g: Option<u32>) -> Vec<Temp> {
        self.prune();
        self.tracked
            .iter()
            .copied()
            .filter(|t| {
                let i = t.0 as usize;
                self.left[i] > 0
                    && matches!(self.locs[i], Loc::Global(x) if g.is_none_or(|g| g == x))
            })
            .collect()
    }

    /// Whether [`Values::copies_of`] would find any (without its walk's
    /// allocation: most globals a block writes have no copy to detach).
    pub(super) fn has_copies_of(&self, g: Option<u32>) -> bool {
        self.tracked.iter().any(|t| {
            let i = t.0 as usize;
            self.left[i] > 0 && matches!(self.locs[i], Loc::Global(x) if g.is_none_or(|g| g == x))
        })
    }

    /// `t` is taken from its slot from now on (which holds its value).
    pub(super) fn back_to_slot(&mut self, t: Temp) {
        if let Some(l) = self.locs.get_mut(t.0 as usize) {
            if *l != Loc::Slot {
                *l = Loc::Slot;
                self.tracked.retain(|x| *x != t);
            }
            self.stored[t.0 as usize] = true;
        }
    }

    /// After a label (paths meet): every value is taken from its slot.
    pub(super) fn forget_all(&mut self) {
        for t in std::mem::take(&mut self.tracked) {
            self.locs[t.0 as usize] = Loc::Slot;
            self.stored[t.0 as usize] = true;
        }
    }
}
