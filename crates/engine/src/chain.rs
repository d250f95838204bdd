//! When compiled code may go from block to block without the engine: each
//! CPU's chain epoch.
//!
//! A chain link ([`ChainLink`](crate::ChainLink)) or an entry of the code
//! half of the dispatch cache ([`crate::dispatch`]) is followed only while
//! the CPU's epoch equals the one it was made in. An epoch is a number of
//! the cluster's own, handed out afresh whenever one of its CPUs changes
//! address translation (MMU generation), the mode trampolines change
//! ([`Frontend::chain_mode`]) or the cluster drops a block: so one compare
//! tells that the entry was made by this CPU, for code still in the cache,
//! under the translation and mode it runs in now.
//!
//! [`Frontend::chain_mode`]: crate::Frontend::chain_mode

/// What a CPU's current epoch was handed out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EpochKey {
    generation: u64,
    drops: u64,
    mode: u32,
}

/// Keys a CPU remembers the epochs of: a trap into the kernel and the
/// return from it go back and forth between two or three modes.
const RECENT: usize = 4;

/// The chain epoch of one CPU.
#[derive(Debug)]
pub(crate) struct ChainEpoch {
    /// The current key and epoch first, then the last ones left, newest
    /// first.
    recent: [Option<(EpochKey, u64)>; RECENT],
}

impl ChainEpoch {
    pub(crate) fn new() -> Self {
        ChainEpoch {
            recent: [None; RECENT],
        }
    }

    /// The CPU's epoch for MMU `generation`, cache `drops` and `mode`.
    /// Coming back to a key it had recently, the CPU takes up that key's
    /// epoch again: the key says everything a link depends on, so links
    /// made then still hold. A new key gets a fresh epoch from the
    /// cluster's `counter`.
    #[inline]
    pub(crate) fn get(&mut self, counter: &mut u64, generation: u64, drops: u64, mode: u32) -> u64 {
        let key = EpochKey {
            generation,
            drops,
            mode,
        };
        if let Some((k, epoch)) = self.recent[0] {
            if k == key {
                return epoch;
            }
        }
        let at = self
            .recent
            .iter()
            .position(|r| matches!(r, Some((k, _)) if *k == key));
        let entry = match at {
            Some(i) => self.recent[i].take(),
            None => {
                // Epoch 0 is never handed out: it is what an unset link
                // holds.
                *counter += 1;
                Some((key, *counter))
            }
        };
        // Newest first; the oldest falls off.
        let end = at.unwrap_or(RECENT - 1);
        self.recent[..=end].rotate_right(1);
        self.recent[0] = entry;
        entry.map_or(0, |(_, epoch)| epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_changes_with_any_part_of_its_key_and_is_unique_per_cpu() {
        let mut counter = 0;
        let (mut a, mut b) = (ChainEpoch::new(), ChainEpoch::new());
        let e1 = a.get(&mut counter, 1, 0, 3);
        assert_eq!(a.get(&mut counter, 1, 0, 3), e1);
        let other_cpu = b.get(&mut counter, 1, 0, 3);
        assert_ne!(other_cpu, e1);
        let e2 = a.get(&mut counter, 1, 0, 4);
        let e3 = a.get(&mut counter, 2, 0, 4);
        let e4 = a.get(&mut counter, 2, 1, 4);
        let all = [e1, other_cpu, e2, e3, e4];
        for (i, x) in all.iter().enumerate() {
            assert_ne!(*x, 0);
            assert!(all[i + 1..].iter().all(|y| y != x));
        }
        // Back to a recent key: its epoch again (the key holds all links
        // depend on); one forgotten since gets a fresh one.
        assert_eq!(a.get(&mut counter, 2, 0, 4), e3);
        assert_eq!(a.get(&mut counter, 1, 0, 4), e2);
        for mode in 10..10 + RECENT as u32 {
            a.get(&mut counter, 1, 0, mode);
        }
        assert!(a.get(&mut counter, 1, 0, 3) > e4);
    }
}
