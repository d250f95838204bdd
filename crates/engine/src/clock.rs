//! The virtual clock's events: timers that devices arm at a virtual time
//! and that fire, in deadline order, when the scheduler's time reaches
//! them.
//!
//! Time itself is kept by the scheduler and the CPUs (instructions retired
//! at each cluster's frequency); the clock only holds what is due when.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Something that wants to be told when its timer expires.
pub trait TimerTarget: Send + Sync {
    /// The timer expired; `now_ns` is its deadline.
    fn fire(&self, now_ns: u64);
}

struct Slot {
    deadline: Option<u64>,
    target: Option<Weak<dyn TimerTarget>>,
}

/// A machine's timer queue.
pub struct Clock {
    slots: Mutex<Vec<Slot>>,
    next: AtomicU64,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock(next: {})", self.next_deadline())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            slots: Mutex::new(Vec::new()),
            next: AtomicU64::new(u64::MAX),
        }
    }
}

/// A virtual time at which nothing is due.
pub const NEVER: u64 = u64::MAX;

impl Clock {
    /// An empty clock.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A new, disarmed timer; it tells `target` when it fires.
    pub fn timer(self: &Arc<Self>, target: Weak<dyn TimerTarget>) -> Timer {
        let mut slots = self.lock();
        slots.push(Slot {
            deadline: None,
            target: Some(target),
        });
        Timer {
            clock: self.clone(),
            id: slots.len() - 1,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        // The slots stay consistent under a panic elsewhere: carry on.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn recompute(&self, slots: &[Slot]) {
        let next = slots
            .iter()
            .filter_map(|s| s.deadline)
            .min()
            .unwrap_or(NEVER);
        self.next.store(next, Ordering::Release);
    }

    /// The earliest armed deadline, or [`NEVER`].
    #[inline]
    pub fn next_deadline(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }

    /// Fires every timer due at or before `now_ns`, earliest first (ties by
    /// creation order). Returns how many fired.
    pub fn fire_due(&self, now_ns: u64) -> usize {
        let mut fired = 0;
        loop {
            let due = {
                let mut slots = self.lock();
                let pick = slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.deadline.filter(|d| *d <= now_ns).map(|d| (d, i)))
                    .min();
                let Some((deadline, i)) = pick else {
                    self.recompute(&slots);
                    return fired;
                };
                slots[i].deadline = None;
                self.recompute(&slots);
                slots[i]
                    .target
                    .as_ref()
                    .and_then(Weak::upgrade)
                    .map(|t| (t, deadline))
            };
            // The lock is released here: a target may re-arm its timer.
            if let Some((target, deadline)) = due {
                target.fire(deadline);
                fired += 1;
            }
        }
    }
}

/// A device's handle on one timer of the clock.
pub struct Timer {
    clock: Arc<Clock>,
    id: usize,
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timer({})", self.id)
    }
}

impl Timer {
    /// Fires at virtual time `deadline_ns` (replacing any earlier arming).
    pub fn arm(&self, deadline_ns: u64) {
        let mut slots = self.clock.lock();
        if let Some(slot) = slots.get_mut(self.id) {
            slot.deadline = Some(deadline_ns);
        }
        self.clock.recompute(&slots);
    }

    /// Disarms the timer.
    pub fn cancel(&self) {
        let mut slots = self.clock.lock();
        if let Some(slot) = slots.get_mut(self.id) {
            slot.deadline = None;
        }
        self.clock.recompute(&slots);
    }

    /// When the timer fires next, if armed.
    pub fn deadline(&self) -> Option<u64> {
        self.clock.lock().get(self.id).and_then(|s| s.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Log(Mutex<Vec<(&'static str, u64)>>, &'static str);

    impl TimerTarget for Log {
        fn fire(&self, now: u64) {
            self.0.lock().unwrap().push((self.1, now));
        }
    }

    #[test]
    fn timers_fire_in_deadline_order_once() {
        let clock = Clock::new();
        let a = Arc::new(Log(Mutex::new(Vec::new()), "a"));
        let b = Arc::new(Log(Mutex::new(Vec::new()), "b"));
        let ta = clock.timer(Arc::downgrade(&a) as Weak<dyn TimerTarget>);
        let tb = clock.timer(Arc::downgrade(&b) as Weak<dyn TimerTarget>);
        ta.arm(200);
        tb.arm(100);
        assert_eq!(clock.next_deadline(), 100);
        assert_eq!(clock.fire_due(150), 1);
        assert_eq!(clock.next_deadline(), 200);
        assert_eq!(clock.fire_due(1000), 1);
        assert_eq!(clock.fire_due(1000), 0);
        assert_eq!(*b.0.lock().unwrap(), vec![("b", 100)]);
        assert_eq!(*a.0.lock().unwrap(), vec![("a", 200)]);
        ta.arm(5);
        ta.cancel();
        assert_eq!(clock.next_deadline(), NEVER);
    }
}
