//! Which NaN an operation returns when an operand is a NaN.
//!
//! With [`NanRule::Canonical`](crate::NanRule::Canonical) or `use_default_nan`
//! every NaN result is the default NaN; with
//! [`NanRule::PropagateFirst`](crate::NanRule::PropagateFirst) it is ARM's
//! FPProcessNaNs: the first signaling NaN in operand order, quieted, else the
//! first quiet NaN. A signaling NaN operand always raises invalid.

use crate::env::{Flags, FloatEnv};
use crate::format::{is_nan, is_snan, Format};

/// The NaN result for `ops`, at least one of which is a NaN, in the order given.
#[cold]
pub(crate) fn propagate<F: Format>(env: &mut FloatEnv, ops: &[u64]) -> u64 {
    if ops.iter().any(|&op| is_snan::<F>(op)) {
        env.raise(Flags::INVALID);
    }
    if env.default_nan_only() {
        return F::DEFAULT_NAN;
    }
    if let Some(&op) = ops.iter().find(|&&op| is_snan::<F>(op)) {
        return op | F::QUIET_BIT;
    }
    ops.iter()
        .copied()
        .find(|&op| is_nan::<F>(op))
        .unwrap_or(F::DEFAULT_NAN)
}
