//! Work shared out over the cores: a slice cut into one contiguous chunk per core, each chunk
//! worked on its own scoped thread, the results returned in order. The loaders and the
//! classification of a large report use it; below [`PARALLEL_MIN`] items (or on one core) the
//! work runs on the calling thread, where spawning would cost more than it saves.

/// Items below this are worked on the calling thread.
pub(crate) const PARALLEL_MIN: usize = 512;

/// The threads to share work over: one per core, at most eight.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
}

/// `f(chunk, offset)` for one contiguous chunk of `items` per core (`offset` is the index of the
/// chunk's first item), the results in chunk order. A panic on a worker is resumed here.
pub(crate) fn chunks_mut<T: Send, R: Send>(
    items: &mut [T],
    f: impl Fn(&mut [T], usize) -> R + Sync,
) -> Vec<R> {
    match chunk_size(items.len()) {
        None => vec![f(items, 0)],
        Some(size) => run(items.chunks_mut(size).map(|part| (part.len(), part)), f),
    }
}

/// The chunk length that gives each core one chunk, or `None` to work on the calling thread.
fn chunk_size(len: usize) -> Option<usize> {
    let threads = threads();
    (len >= PARALLEL_MIN && threads >= 2).then(|| len.div_ceil(threads))
}

/// Runs `f` on each `(length, part)`, all but the last on scoped threads and the last on this
/// thread (which would otherwise only wait), with each part's offset; results in order.
fn run<P: Send, R: Send>(
    parts: impl Iterator<Item = (usize, P)>,
    f: impl Fn(P, usize) -> R + Sync,
) -> Vec<R> {
    let mut offset = 0;
    let mut parts: Vec<(usize, P)> = parts
        .map(|(len, part)| {
            offset += len;
            (offset - len, part)
        })
        .collect();
    let f = &f;
    std::thread::scope(|scope| {
        let last = parts.pop();
        let handles: Vec<_> = parts
            .into_iter()
            .map(|(at, part)| scope.spawn(move || f(part, at)))
            .collect();
        let mine = last.map(|(at, part)| f(part, at));
        let mut out: Vec<R> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        out.extend(mine);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once_in_order() {
        for n in [0, 1, PARALLEL_MIN - 1, PARALLEL_MIN, 10_007] {
            let mut items: Vec<usize> = (0..n).collect();
            let offsets = chunks_mut(&mut items, |part, offset| {
                for (j, x) in part.iter_mut().enumerate() {
                    assert_eq!(*x, offset + j);
                    *x += 1;
                }
                offset
            });
            assert!(items.iter().enumerate().all(|(i, x)| *x == i + 1));
            assert!(
                offsets.is_sorted() && offsets.first().is_none_or(|o| *o == 0),
                "in chunk order"
            );
        }
    }
}
