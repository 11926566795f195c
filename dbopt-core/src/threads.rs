//! The few ways dbopt spreads work over threads: items worked on in parallel and used in
//! order (migrations are read and parsed on several threads, replayed on one), and one
//! piece of work beside another (schema.rs parsed while the migrations replay, the source
//! scan beside the schema side). Where no thread can be started, everything runs on the
//! calling thread, with the same result.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, mpsc};

/// `requested` threads, 0 meaning one per core (`--jobs`' default). The number of cores is
/// asked once per process: on Linux the answer reads the cgroup files, which costs about as
/// much as analysing a small package's migrations.
pub fn count(requested: usize) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    match requested {
        0 => *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from)),
        n => n,
    }
}

/// Runs `background` on a thread named `name` while `foreground` runs on this one, and
/// returns both results. Where the thread cannot start, `background` runs here after
/// `foreground`. A panic in either is propagated.
pub fn beside<B: Send, F>(
    name: &str,
    background: impl Fn() -> B + Sync,
    foreground: impl FnOnce() -> F,
) -> (B, F) {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn_scoped(scope, &background);
        let f = foreground();
        let b = match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => background(),
        };
        (b, f)
    })
}

/// Below this many small items, starting threads costs about what it saves (50 migrations
/// per package on two cores: the same wall time, more CPU time).
const FEW: usize = 64;

/// Calls `work` on every item, on up to `threads` threads, and gives the results to `take` on
/// the calling thread in the items' order: each one as soon as it and every one before it
/// are done, so `take` runs while later items are still being worked on.
///
/// With one thread, fewer than [`FEW`] items, or where no thread can be started, everything
/// runs on the calling thread. The results, and the order `take` sees them in, are the same
/// either way. A panic in `work` is propagated once the threads have stopped.
pub fn map_in_order<T, R, W, F>(items: &[T], threads: usize, work: W, take: F)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    F: FnMut(R),
{
    spread(items, threads, FEW, work, take);
}

/// [`map_in_order`] for a few large items (the packages of a workspace, each with its own
/// migrations): threads start from two items on.
pub fn map_large_in_order<T, R, W, F>(items: &[T], threads: usize, work: W, take: F)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    F: FnMut(R),
{
    spread(items, threads, 2, work, take);
}

/// [`map_in_order`], with threads only from `few` items on.
fn spread<T, R, W, F>(items: &[T], threads: usize, few: usize, work: W, mut take: F)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    F: FnMut(R),
{
    let threads = threads.min(items.len());
    if threads <= 1 || items.len() < few {
        items.iter().for_each(|item| take(work(item)));
        return;
    }
    // Items are taken in runs of `chunk`, and a run's results sent together: one message
    // (and one wake-up of the calling thread) per run rather than per item, while the
    // calling thread still starts before most of the work is done.
    let chunk = (items.len() / (threads * 32)).clamp(1, 64);
    // The index of the first item of the next run nobody has taken yet.
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<(usize, Vec<R>)>();
        let mut started = 0;
        for k in 0..threads {
            let sender = sender.clone();
            let (next, work) = (&next, &work);
            let worker = move || {
                loop {
                    let start = next.fetch_add(chunk, Ordering::Relaxed);
                    let Some(run) = items.get(start..items.len().min(start + chunk)) else {
                        break;
                    };
                    if run.is_empty()
                        || sender
                            .send((start, run.iter().map(work).collect()))
                            .is_err()
                    {
                        break;
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name(format!("dbopt-worker-{k}"))
                .spawn_scoped(scope, worker);
            started += usize::from(spawned.is_ok());
        }
        drop(sender);
        if started == 0 {
            items.iter().for_each(|item| take(work(item)));
            return;
        }
        // Runs that came before the ones ahead of them, by their first index.
        let mut early: BTreeMap<usize, Vec<R>> = BTreeMap::new();
        let mut wanted = 0;
        for (start, results) in receiver {
            if start != wanted {
                early.insert(start, results);
                continue;
            }
            let mut results = Some(results);
            while let Some(run) = results {
                wanted += run.len();
                run.into_iter().for_each(&mut take);
                results = early.remove(&wanted);
            }
        }
    });
}

/// From this many items on, a piece of work (a package's migrations) is large: its working
/// set is tens of megabytes at 10k migrations, and two at once would double the peak.
pub const LARGE: usize = 1_000;

/// Lets one large piece of work run at a time, while small ones run beside it: packages are
/// analysed side by side, and a package with [`LARGE`] migrations or more waits for the other
/// large ones (it still spreads its own migrations over the threads). Clones share the turn.
#[derive(Debug, Default, Clone)]
pub struct LargeTurn(Arc<Mutex<()>>);

impl LargeTurn {
    /// Waits for the turn when `items` is large; the turn passes on when the guard drops.
    pub fn wait(&self, items: usize) -> Option<MutexGuard<'_, ()>> {
        // The lock guards no data, so a panic elsewhere leaves nothing inconsistent.
        (items >= LARGE).then(|| self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uneven work, so that results arrive out of order.
    fn slow_square(n: &u64) -> u64 {
        let mut x = 0u64;
        for k in 0..(n % 7) * 20_000 {
            x = x.wrapping_add(k);
        }
        std::hint::black_box(x);
        n * n
    }

    #[test]
    fn results_come_in_order_on_any_number_of_threads() {
        let items: Vec<u64> = (0..500).collect();
        let expected: Vec<u64> = items.iter().map(|n| n * n).collect();
        for threads in [0, 1, 2, 3, 8, 1000] {
            let mut got = Vec::new();
            map_in_order(&items, threads, slow_square, |r| got.push(r));
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    #[test]
    fn large_items_are_spread_from_two_on_and_come_in_order() {
        let items: Vec<u64> = (0..5).map(|n| n * 7 + 3).collect();
        let expected: Vec<u64> = items.iter().map(|n| n * n).collect();
        for threads in [0, 1, 2, 8] {
            let threads_seen = std::sync::Mutex::new(std::collections::HashSet::new());
            let mut got = Vec::new();
            map_large_in_order(
                &items,
                threads,
                |n| {
                    threads_seen
                        .lock()
                        .unwrap()
                        .insert(std::thread::current().id());
                    slow_square(n)
                },
                |r| got.push(r),
            );
            assert_eq!(got, expected, "{threads} threads");
            let on_this_thread = threads_seen
                .lock()
                .unwrap()
                .contains(&std::thread::current().id());
            assert_eq!(on_this_thread, threads <= 1, "{threads} threads");
        }
    }

    #[test]
    fn no_items_no_calls() {
        let mut calls = 0;
        map_in_order(&[] as &[u64], 4, slow_square, |_| calls += 1);
        assert_eq!(calls, 0);
    }

    #[test]
    fn a_panic_in_the_work_is_propagated() {
        let items: Vec<u64> = (0..100).collect();
        let outcome = std::panic::catch_unwind(|| {
            map_in_order(&items, 2, |n| assert!(*n != 57, "item {n}"), |()| {});
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn beside_returns_both_results_and_propagates_panics() {
        let items: Vec<u64> = (0..1000).collect();
        let (sum, squares) = beside(
            "test",
            || items.iter().sum::<u64>(),
            || items.iter().map(|n| n * n).sum::<u64>(),
        );
        assert_eq!((sum, squares), (499_500, 332_833_500));
        let background = std::panic::catch_unwind(|| beside("test", || panic!("b"), || 1));
        assert!(background.is_err());
        let foreground = std::panic::catch_unwind(|| beside("test", || 1, || panic!("f")));
        assert!(foreground.is_err());
    }

    #[test]
    fn large_work_takes_turns_and_small_work_does_not_wait() {
        let turn = LargeTurn::default();
        let held = turn.wait(LARGE);
        assert!(held.is_some());
        // Small work does not wait for the large one; large work would.
        assert!(turn.clone().wait(LARGE - 1).is_none());
        assert!(turn.0.try_lock().is_err());
        drop(held);
        assert!(turn.clone().wait(LARGE).is_some());
    }

    #[test]
    fn zero_threads_means_one_per_core() {
        assert!(count(0) >= 1);
        assert_eq!(count(3), 3);
    }
}
