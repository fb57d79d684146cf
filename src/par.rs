//! Work shared out over the cores: a slice cut into one contiguous chunk per core, each chunk
//! worked on its own scoped thread, the results returned in order. The loaders and the
//! classification of a large report use it; below [`PARALLEL_MIN`] items (or on one core) the
//! work runs on the calling thread, where spawning would cost more than it saves.

/// Items below this are worked on the calling thread.
pub(crate) const PARALLEL_MIN: usize = 512;

/// The threads to share work over: one per core, at most eight.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
}

/// `f(chunk, offset)` for one contiguous chunk of `items` per core (`offset` is the index of the
/// chunk's first item), the results in chunk order. A panic on a worker is resumed here.
pub(crate) fn chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T], usize) -> R + Sync) -> Vec<R> {
    let threads = threads();
    if items.len() < PARALLEL_MIN || threads < 2 {
        return vec![f(items, 0)];
    }
    let size = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        // The last chunk is worked on this thread, which would otherwise only wait.
        let mut parts: Vec<(usize, &[T])> = items.chunks(size).enumerate().collect();
        let (last, mine) = parts.pop().unwrap_or((0, &[]));
        let handles: Vec<_> = parts
            .into_iter()
            .map(|(c, part)| scope.spawn(move || f(part, c * size)))
            .collect();
        let mine = f(mine, last * size);
        let mut out: Vec<R> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        out.push(mine);
        out
    })
}

/// [`chunks`] over a mutable slice.
pub(crate) fn chunks_mut<T: Send, R: Send>(
    items: &mut [T],
    f: impl Fn(&mut [T], usize) -> R + Sync,
) -> Vec<R> {
    let threads = threads();
    if items.len() < PARALLEL_MIN || threads < 2 {
        return vec![f(items, 0)];
    }
    let size = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        // The last chunk is worked on this thread, which would otherwise only wait.
        let mut parts: Vec<(usize, &mut [T])> = items.chunks_mut(size).enumerate().collect();
        let (last, mine) = parts.pop().unwrap_or((0, &mut []));
        let handles: Vec<_> = parts
            .into_iter()
            .map(|(c, part)| scope.spawn(move || f(part, c * size)))
            .collect();
        let mine = f(mine, last * size);
        let mut out: Vec<R> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        out.push(mine);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once_in_order() {
        for n in [0, 1, PARALLEL_MIN - 1, PARALLEL_MIN, 10_007] {
            let items: Vec<usize> = (0..n).collect();
            let parts = chunks(&items, |part, offset| {
                part.iter()
                    .enumerate()
                    .all(|(j, x)| *x == offset + j)
                    .then(|| part.to_vec())
            });
            let seen: Vec<usize> = parts.into_iter().flat_map(Option::unwrap).collect();
            assert_eq!(seen, items);
            let mut items = items;
            chunks_mut(&mut items, |part, offset| {
                for (j, x) in part.iter_mut().enumerate() {
                    assert_eq!(*x, offset + j);
                    *x += 1;
                }
            });
            assert!(items.iter().enumerate().all(|(i, x)| *x == i + 1));
        }
    }
}
