//! Work shared out over the cores: a slice cut into blocks that the cores take in turn, on one
//! kept thread per core ([`pool`]), the results returned in order. The loaders and the classification of
//! a large report use it; below [`PARALLEL_MIN`] items (or on one core) the work runs on the
//! calling thread, where spawning would cost more than it saves.

use std::sync::{Mutex, OnceLock, PoisonError};

/// Items below this are worked on the calling thread.
pub(crate) const PARALLEL_MIN: usize = 512;

/// Blocks per thread in [`blocks_mut`]: enough that the last block taken ends close to the
/// others (one block is at most a thirty-second of a core's share), few enough that taking one
/// costs nothing measurable.
const BLOCKS_PER_THREAD: usize = 32;

/// The smallest block of [`blocks_mut`].
const BLOCK_MIN: usize = 32;

/// The threads to share work over: one per core, at most eight. Asked once: the standard
/// library reads the cgroup's quota files for every call, and a load asks at every stage.
pub(crate) fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(8)
    })
}

/// The threads that work the blocks: one per core ([`threads`]), made once and kept for the
/// process. Threads made for each stage and ended after it left their allocator heaps behind,
/// to be taken over by the next stage's threads and, at exit, collected by the main thread
/// (mimalloc's exit-time collect was 1% of `check`'s CPU, serial, after the output).
/// `None` when the threads cannot be started (the work then runs on the calling thread).
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads())
            .thread_name(|i| format!("driftdeck-par-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// The threads to share `len` items over: one below [`PARALLEL_MIN`], else [`threads`].
pub(crate) fn threads_for(len: usize) -> usize {
    if len < PARALLEL_MIN { 1 } else { threads() }
}

/// `f(state, block, offset)` for every block of `items` (`offset` is the index of the block's
/// first item), the results in block order. Each core makes one `state` (a cache kept from block
/// to block) and takes the next block as it finishes one, so a core that drew cheaper items or
/// was descheduled does not leave the other waiting at the end, as one fixed chunk per core did
/// (a drift-dense load spent 5–10 ms with one core idle). A panic on a worker is resumed here.
pub(crate) fn blocks_mut<T: Send, S, R: Send>(
    items: &mut [T],
    state: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &mut [T], usize) -> R + Sync,
) -> Vec<R> {
    let threads = threads_for(items.len());
    let Some(pool) = pool().filter(|_| threads >= 2) else {
        return vec![f(&mut state(), items, 0)];
    };
    let size = (items.len() / (threads * BLOCKS_PER_THREAD)).max(BLOCK_MIN);
    let mut offset = 0;
    let blocks: Vec<(usize, usize, &mut [T])> = items
        .chunks_mut(size)
        .enumerate()
        .map(|(i, block)| {
            offset += block.len();
            (i, offset - block.len(), block)
        })
        .collect();
    let count = blocks.len();
    let queue = Mutex::new(blocks.into_iter());
    let work = || {
        let mut state = state();
        let mut done = Vec::new();
        loop {
            // The lock is held only to take a block, never while one is worked: a panic in `f`
            // cannot leave the queue half-changed.
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((i, at, block)) = next else {
                break done;
            };
            done.push((i, f(&mut state, block, at)));
        }
    };
    let work = &work;
    let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(count).collect();
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(count));
    pool.scope(|scope| {
        for _ in 0..threads.min(count) {
            scope.spawn(|_| {
                let mine = work();
                done.lock().unwrap_or_else(PoisonError::into_inner).extend(mine);
            });
        }
    });
    for (i, r) in done.into_inner().unwrap_or_else(PoisonError::into_inner) {
        out[i] = Some(r);
    }
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_item_once_in_order_with_one_state_per_thread() {
        for n in [0, 1, PARALLEL_MIN - 1, PARALLEL_MIN, 10_007, 100_003] {
            let mut items: Vec<usize> = (0..n).collect();
            let states = std::sync::atomic::AtomicUsize::new(0);
            let results = blocks_mut(
                &mut items,
                || {
                    states.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    0usize
                },
                |seen, block, offset| {
                    for (j, x) in block.iter_mut().enumerate() {
                        assert_eq!(*x, offset + j);
                        *x += 1;
                    }
                    *seen += block.len();
                    (offset, block.len(), *seen)
                },
            );
            assert!(
                items.iter().enumerate().all(|(i, x)| *x == i + 1),
                "every item once"
            );
            let mut next = 0;
            for (offset, len, seen) in &results {
                assert_eq!(*offset, next, "in block order, without gaps");
                assert!(seen >= len, "the state is kept from block to block");
                next += len;
            }
            assert_eq!(next, n);
            let made = states.load(std::sync::atomic::Ordering::Relaxed);
            assert!(made >= 1 && made <= threads(), "one state per thread: {made}");
            if n >= PARALLEL_MIN && threads() >= 2 {
                assert!(results.len() > threads(), "more blocks than threads");
            }
        }
    }

    #[test]
    fn a_panic_in_a_block_reaches_the_caller() {
        let mut items: Vec<usize> = (0..10_000).collect();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            blocks_mut(
                &mut items,
                || (),
                |(), block, _| assert!(!block.contains(&7_777), "boom"),
            );
        }));
        assert!(caught.is_err());
    }
}
