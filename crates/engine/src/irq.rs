//! A CPU's interrupt inputs: the receiving end of lines from interrupt
//! controllers and timers. Levels are atomics so a device on another host
//! thread can raise them; the CPU looks at them between blocks.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chimera_core::LineSink;

/// The level of every interrupt input of one CPU.
pub struct IrqInputs {
    words: Box<[AtomicU64]>,
    count: u32,
    changes: AtomicU64,
}

impl fmt::Debug for IrqInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IrqInputs({} pins, any: {})", self.count, self.any())
    }
}

impl IrqInputs {
    /// `count` inputs, all low.
    pub fn new(count: u32) -> Self {
        IrqInputs {
            words: (0..count.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            count,
            changes: AtomicU64::new(0),
        }
    }

    /// Number of inputs.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether input `pin` is high.
    #[inline]
    pub fn level(&self, pin: u32) -> bool {
        self.word(pin / 64) & (1 << (pin % 64)) != 0
    }

    /// Levels of inputs `64 * index .. 64 * index + 63`.
    #[inline]
    pub fn word(&self, index: u32) -> u64 {
        self.words
            .get(index as usize)
            .map_or(0, |w| w.load(Ordering::Acquire))
    }

    /// Whether any input is high.
    #[inline]
    pub fn any(&self) -> bool {
        self.words.iter().any(|w| w.load(Ordering::Acquire) != 0)
    }

    /// Drives input `pin`; out-of-range pins are ignored.
    pub fn set(&self, pin: u32, level: bool) {
        if pin >= self.count {
            return;
        }
        let Some(word) = self.words.get((pin / 64) as usize) else {
            return;
        };
        let bit = 1u64 << (pin % 64);
        let old = if level {
            word.fetch_or(bit, Ordering::AcqRel)
        } else {
            word.fetch_and(!bit, Ordering::AcqRel)
        };
        if (old & bit != 0) != level {
            self.changes.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// A count that grows whenever an input changes level: a CPU that
    /// looked at its inputs can tell whether anything changed since.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }
}

impl LineSink for IrqInputs {
    fn set_input(&self, pin: u32, level: bool) {
        self.set(pin, level);
    }
}
