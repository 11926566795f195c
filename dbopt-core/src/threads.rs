//! The few ways dbopt spreads work over threads: items worked on in parallel and used in
//! order (migrations are read and parsed on several threads, replayed on one), and one
//! piece of work beside another (schema.rs parsed while the migrations replay, the source
//! scan beside the schema side). Where no thread can be started, everything runs on the
//! calling thread, with the same result.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// `requested` threads, 0 meaning one per core (`--jobs`' default).
pub fn count(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
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

/// Below this many items, starting threads costs about what it saves (50 migrations per
/// package on two cores: the same wall time, more CPU time).
const FEW: usize = 64;

/// Calls `work` on every item, on up to `threads` threads, and gives the results to `take` on
/// the calling thread in the items' order: each one as soon as it and every one before it
/// are done, so `take` runs while later items are still being worked on.
///
/// With one thread, fewer than [`FEW`] items, or where no thread can be started, everything
/// runs on the calling thread. The results, and the order `take` sees them in, are the same
/// either way. A panic in `work` is propagated once the threads have stopped.
pub fn map_in_order<T, R, W, F>(items: &[T], threads: usize, work: W, mut take: F)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    F: FnMut(R),
{
    let threads = threads.min(items.len());
    if threads <= 1 || items.len() < FEW {
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
    fn zero_threads_means_one_per_core() {
        assert!(count(0) >= 1);
        assert_eq!(count(3), 3);
    }
}
