//! The background compile thread and its queue: bounded, hottest block
//! first, blocks dropped from their cache skipped, and stopped at once
//! when its backend goes (the block being compiled is finished, queued
//! ones are discarded), so that a run ends when its guest does.

use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use chimera_engine::Block;

/// Jobs queued at most; past it the coldest is dropped (its block keeps
/// its first-tier code).
pub(crate) const QUEUE_LIMIT: usize = 256;

/// A block to compile with what compiling it needs (`T`), ordered by the
/// time its compiled code is expected to save: runs so far × instructions.
pub(crate) struct Job<T> {
    pub(crate) block: Arc<Block>,
    pub(crate) with: T,
    heat: u64,
}

impl<T> Job<T> {
    pub(crate) fn new(block: Arc<Block>, with: T) -> Self {
        let heat = u64::from(block.runs()).saturating_mul(u64::from(block.insns.max(1)));
        Job { block, with, heat }
    }
}

impl<T> PartialEq for Job<T> {
    fn eq(&self, other: &Self) -> bool {
        self.heat == other.heat
    }
}
impl<T> Eq for Job<T> {}
impl<T> PartialOrd for Job<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Job<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.heat.cmp(&other.heat)
    }
}

struct State<T> {
    jobs: BinaryHeap<Job<T>>,
    stop: bool,
}

/// What the CPU's thread and the compile thread share.
struct Queue<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> Queue<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The compile thread of one backend.
pub(crate) struct Worker<T> {
    queue: Arc<Queue<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Worker<T> {
    /// Starts a thread that runs `compile` on each job, hottest first
    /// (`compile` gives the block its outcome).
    pub(crate) fn start(mut compile: impl FnMut(&Job<T>) + Send + 'static) -> Result<Self, String> {
        let queue = Arc::new(Queue {
            state: Mutex::new(State {
                jobs: BinaryHeap::new(),
                stop: false,
            }),
            ready: Condvar::new(),
        });
        let shared = queue.clone();
        let thread = std::thread::Builder::new()
            .name("chimera-jit".into())
            .spawn(move || loop {
                let job = {
                    let mut state = shared.lock();
                    loop {
                        if state.stop {
                            return;
                        }
                        if let Some(job) = state.jobs.pop() {
                            break job;
                        }
                        state = shared.ready.wait(state).unwrap_or_else(|e| e.into_inner());
                    }
                };
                // Dropped meanwhile (its code written over): no use.
                if !job.block.is_valid() {
                    job.block.set_native(None);
                    continue;
                }
                compile(&job);
            })
            .map_err(|e| format!("cannot start the JIT thread: {e}"))?;
        Ok(Worker {
            queue,
            thread: Some(thread),
        })
    }

    /// Queues `job`; when the queue is full, the coldest job (perhaps this
    /// one) is dropped and its block stays on its first-tier code.
    pub(crate) fn submit(&self, job: Job<T>) {
        let mut state = self.queue.lock();
        if state.stop {
            job.block.set_native(None);
            return;
        }
        state.jobs.push(job);
        if state.jobs.len() > QUEUE_LIMIT {
            // The heap's coldest is among its leaves: rebuild without it.
            let mut jobs = std::mem::take(&mut state.jobs).into_sorted_vec();
            let coldest = jobs.remove(0);
            coldest.block.set_native(None);
            state.jobs = jobs.into();
        }
        drop(state);
        self.queue.ready.notify_one();
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        {
            let mut state = self.queue.lock();
            state.stop = true;
            // Queued blocks are not compiled: their blocks go with the
            // machine.
            for job in state.jobs.drain() {
                job.block.set_native(None);
            }
        }
        self.queue.ready.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimera_engine::BlockKey;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn block(runs: u32) -> Arc<Block> {
        let key = BlockKey {
            phys_pc: u64::from(runs),
            mode: 0,
        };
        let b = Arc::new(Block::new(key, 0, Vec::new(), Vec::new(), Vec::new()));
        for _ in 0..runs {
            b.count_runs();
        }
        b
    }

    #[test]
    fn dropping_the_worker_with_a_full_queue_returns_at_once() {
        let compiled = Arc::new(AtomicUsize::new(0));
        let seen = compiled.clone();
        let worker = Worker::start(move |_job| {
            // Each compile takes as long as Cranelift's slowest blocks.
            std::thread::sleep(Duration::from_millis(20));
            seen.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        let blocks: Vec<_> = (1..=QUEUE_LIMIT as u32 * 2).map(block).collect();
        for b in &blocks {
            worker.submit(Job::new(b.clone(), ()));
        }
        std::thread::sleep(Duration::from_millis(5));
        let start = Instant::now();
        drop(worker);
        let took = start.elapsed();
        assert!(took < Duration::from_millis(100), "took {took:?}");
        assert!(compiled.load(Ordering::Relaxed) <= 2);
        // Every block was answered: compiled, or left on its first tier.
        let answered = blocks.iter().filter(|b| b.compile_tried()).count();
        assert!(answered >= blocks.len() - 2, "{answered}");
    }

    #[test]
    fn the_hottest_job_goes_first_and_the_coldest_is_dropped_when_full() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (seen, wait) = (order.clone(), gate.clone());
        let worker = Worker::start(move |job| {
            let (open, cv) = &*wait;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            seen.lock().unwrap().push(job.block.runs());
        })
        .unwrap();
        // The first job holds the thread while the rest queue up.
        worker.submit(Job::new(block(1), ()));
        std::thread::sleep(Duration::from_millis(20));
        let blocks: Vec<_> = (2..=QUEUE_LIMIT as u32 + 2).map(block).collect();
        for b in &blocks {
            worker.submit(Job::new(b.clone(), ()));
        }
        assert!(blocks[0].compile_tried(), "the coldest was dropped");
        {
            let (open, cv) = &*gate;
            *open.lock().unwrap() = true;
            cv.notify_all();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while order.lock().unwrap().len() < QUEUE_LIMIT + 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(order[0], 1);
        assert_eq!(order[1], QUEUE_LIMIT as u32 + 2);
        assert!(order[1..].windows(2).all(|w| w[0] > w[1]), "{order:?}");
    }
}
