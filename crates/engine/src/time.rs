//! A CPU's place in virtual time: its clock runs with the instructions it
//! retires, at its cluster's frequency, from an anchor that moves when the
//! CPU sleeps (time passes it by while it retires nothing).
//!
//! Every conversion between a CPU's instruction count and virtual time is
//! here, so the run loop, the environment devices see and the scheduler
//! agree to the nanosecond.

use crate::ClusterParams;

/// Virtual time at an instruction count, from which a CPU's clock runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// Virtual time (ns) when the count was `anchor_insns`.
    anchor_ns: u64,
    /// The instruction count at `anchor_ns`.
    anchor_insns: u64,
    /// Virtual time passed while asleep, all told.
    slept_ns: u64,
}

impl CpuTime {
    /// The CPU's virtual time after `insns` instructions (at least the
    /// anchor's count).
    #[inline]
    pub fn now_ns(&self, params: &ClusterParams, insns: u64) -> u64 {
        self.anchor_ns
            .saturating_add(params.insns_to_ns(insns.saturating_sub(self.anchor_insns)))
    }

    /// The first instruction count at which the clock reaches `ns` (the
    /// anchor's count when it is there already).
    pub fn insns_at(&self, params: &ClusterParams, ns: u64) -> u64 {
        match ns.checked_sub(self.anchor_ns) {
            Some(d) if d > 0 => self.anchor_insns.saturating_add(params.ns_to_insns(d)),
            _ => self.anchor_insns,
        }
    }

    /// A sleeping CPU at count `insns` lets time pass until `ns`; nothing
    /// changes when its clock is there already.
    pub fn sleep_until(&mut self, params: &ClusterParams, insns: u64, ns: u64) {
        let now = self.now_ns(params, insns);
        if ns > now {
            self.slept_ns += ns - now;
            self.anchor_ns = ns;
            self.anchor_insns = insns;
        }
    }

    /// Time passes at count `insns` as if one instruction had run (a
    /// trap that retired nothing still costs the CPU time).
    pub fn stall_one_insn(&mut self, params: &ClusterParams, insns: u64) {
        self.anchor_ns = self.now_ns(params, insns) + params.insns_to_ns(1).max(1);
        self.anchor_insns = insns;
    }

    /// Virtual time the CPU spent asleep (waiting for an interrupt or held
    /// in reset) so far.
    pub fn slept_ns(&self) -> u64 {
        self.slept_ns
    }
}

/// An instruction limit made from a deadline, kept while the deadline and
/// the clock's anchor stay as they were: the conversion divides, and the
/// run loop asks before every block.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LimitCache {
    key: Option<(u64, CpuTime)>,
    insns: u64,
}

impl LimitCache {
    /// The first instruction count at which `time` reaches `deadline_ns`.
    #[inline]
    pub(crate) fn insns_at(
        &mut self,
        time: &CpuTime,
        params: &ClusterParams,
        deadline_ns: u64,
    ) -> u64 {
        if self.key != Some((deadline_ns, *time)) {
            self.key = Some((deadline_ns, *time));
            self.insns = time.insns_at(params, deadline_ns);
        }
        self.insns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(freq_hz: u64) -> ClusterParams {
        ClusterParams {
            word_bits: 64,
            endian: chimera_memory::Endian::Little,
            page_bits: 12,
            paddr_bits: 56,
            vaddr_bits: 39,
            memory_order: crate::MemoryOrder::Weak,
            freq_hz,
        }
    }

    #[test]
    fn time_runs_with_instructions_and_sleep_moves_the_anchor() {
        let p = params(500_000_000);
        let mut t = CpuTime::default();
        assert_eq!(t.now_ns(&p, 1000), 2000);
        assert_eq!(t.insns_at(&p, 2000), 1000);
        assert_eq!(t.insns_at(&p, 2001), 1001, "rounded up");
        t.sleep_until(&p, 1000, 10_000);
        assert_eq!(t.now_ns(&p, 1000), 10_000);
        assert_eq!(t.slept_ns(), 8_000);
        assert_eq!(t.now_ns(&p, 1001), 10_002);
        assert_eq!(t.insns_at(&p, 9_000), 1000, "already past");
        // Sleeping to a time already reached changes nothing.
        t.sleep_until(&p, 1001, 10_001);
        assert_eq!(t.now_ns(&p, 1001), 10_002);
        assert_eq!(t.slept_ns(), 8_000);
    }

    #[test]
    fn the_limit_cache_follows_deadline_and_anchor() {
        let p = params(1_000_000_000);
        let mut t = CpuTime::default();
        let mut c = LimitCache::default();
        assert_eq!(c.insns_at(&t, &p, 500), 500);
        assert_eq!(c.insns_at(&t, &p, 700), 700);
        t.sleep_until(&p, 10, 600);
        assert_eq!(c.insns_at(&t, &p, 700), 110);
    }
}
