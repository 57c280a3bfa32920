//! Unique, uniformly random index allocation (HAIP: a unique random index per credential;
//! draft §13: never reuse a (`uri`, `idx`) pair).

use jose_core::RandomSource;

use crate::error::Error;
use crate::status::StatusIndex;

/// Hands out every index of a list exactly once, each draw uniform over the indices still free.
///
/// A partial Fisher–Yates shuffle: `free[..remaining]` holds the free indices; an allocation
/// draws `j` uniformly below `remaining` (rejection sampling, no modulo bias), swaps `free[j]`
/// with the last free slot and returns it. O(1) per allocation, 4 bytes per entry. Randomness
/// comes only from the injected [`RandomSource`], so a seeded source gives a reproducible
/// sequence.
///
/// There is deliberately no `release`: the draft (§13) forbids reusing an index for another
/// token of the same list, so a freed index must never be handed out again.
///
/// ```
/// use status_list::IndexAllocator;
/// let mut alloc = IndexAllocator::new(1024);
/// let rng = jose_core::SystemRandom::new();
/// let a = alloc.allocate(&rng)?;
/// let b = alloc.allocate(&rng)?;
/// assert_ne!(a, b);
/// assert_eq!(alloc.remaining(), 1022);
/// # Ok::<(), status_list::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexAllocator {
    free: Vec<u32>,
    remaining: usize,
}

impl IndexAllocator {
    /// An allocator over indices `0..capacity`, all free.
    #[must_use]
    pub fn new(capacity: u32) -> Self {
        Self::with_used(capacity, core::iter::empty())
    }

    /// An allocator over `0..capacity` where `used` (e.g. the indices already issued before a
    /// restart) are never handed out. Indices outside the range and repeats are ignored.
    #[must_use]
    pub fn with_used(capacity: u32, used: impl IntoIterator<Item = StatusIndex>) -> Self {
        let mut taken = vec![false; usize::try_from(capacity).unwrap_or(usize::MAX)];
        for idx in used {
            if let Some(slot) = usize::try_from(idx.get())
                .ok()
                .and_then(|i| taken.get_mut(i))
            {
                *slot = true;
            }
        }
        let free: Vec<u32> = (0..capacity)
            .zip(taken.iter())
            .filter_map(|(i, t)| (!t).then_some(i))
            .collect();
        Self {
            remaining: free.len(),
            free,
        }
    }

    /// How many indices can still be allocated.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.remaining
    }

    /// Draws a free index uniformly at random and marks it used.
    ///
    /// # Errors
    /// [`Error::AllocatorExhausted`] when every index is used; [`Error::Random`] when the
    /// random source fails.
    pub fn allocate(&mut self, rng: &dyn RandomSource) -> Result<StatusIndex, Error> {
        let n = u32::try_from(self.remaining).unwrap_or(u32::MAX);
        if n == 0 {
            return Err(Error::AllocatorExhausted {
                capacity: u64::try_from(self.free.len()).unwrap_or(u64::MAX),
            });
        }
        let internal = |invariant| Error::Internal { invariant };
        let j = usize::try_from(uniform_below(rng, n)?)
            .map_err(|_| internal("a drawn index fits usize"))?;
        let last = self.remaining.saturating_sub(1);
        // `j < n <= remaining`: both are positions of the free part of `free`. Never index 0 as
        // a fallback, which would hand out an index twice.
        let free = self
            .free
            .get_mut(..self.remaining)
            .ok_or_else(|| internal("the free indices lie in the list"))?;
        if j > last {
            return Err(internal("the drawn position is among the free indices"));
        }
        free.swap(j, last);
        let idx = *free
            .get(last)
            .ok_or_else(|| internal("the free indices lie in the list"))?;
        self.remaining = last;
        Ok(StatusIndex::from(idx))
    }
}

/// A uniform draw in `0..n` (`n > 0`) by rejection sampling on 32-bit words.
fn uniform_below(rng: &dyn RandomSource, n: u32) -> Result<u32, Error> {
    let range = u64::from(n);
    let space = 1u64 << 32;
    // The largest multiple of `n` not above 2^32: words at or above it are redrawn.
    let zone = space - space % range;
    loop {
        let mut word = [0u8; 4];
        rng.fill(&mut word).map_err(Error::Random)?;
        let x = u64::from(u32::from_le_bytes(word));
        if x < zone {
            // `x % range < n`, so it always fits in u32.
            return u32::try_from(x % range).map_err(|_| Error::Internal {
                invariant: "a uniform draw below a u32 fits u32",
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;
    use std::collections::HashSet;

    use super::*;

    /// A deterministic xorshift source for tests.
    fn seeded(seed: u64) -> impl Fn(&mut [u8]) -> Result<(), jose_core::Error> {
        let state = Cell::new(seed);
        move |dest: &mut [u8]| {
            for b in dest.iter_mut() {
                let mut x = state.get();
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                state.set(x);
                *b = x.to_le_bytes()[0];
            }
            Ok(())
        }
    }

    #[test]
    fn hands_out_every_index_once_then_exhausts() {
        let rng = seeded(42);
        let mut alloc = IndexAllocator::new(100);
        let got: HashSet<u64> = (0..100)
            .map(|_| alloc.allocate(&rng).unwrap().get())
            .collect();
        assert_eq!(got, (0..100).collect());
        assert_eq!(
            alloc.allocate(&rng),
            Err(Error::AllocatorExhausted { capacity: 100 })
        );
    }

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let run = |seed| {
            let rng = seeded(seed);
            let mut alloc = IndexAllocator::new(1000);
            (0..20)
                .map(|_| alloc.allocate(&rng).unwrap().get())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        // Not the identity order: the indices are spread, not sequential.
        assert_ne!(run(7), (980..1000).rev().collect::<Vec<u64>>());
    }

    #[test]
    fn used_indices_are_never_handed_out() {
        let rng = seeded(3);
        let used = (0..10u64).filter(|i| i % 2 == 0).map(StatusIndex::new);
        let mut alloc = IndexAllocator::with_used(10, used);
        assert_eq!(alloc.remaining(), 5);
        let mut got: Vec<u64> = (0..5)
            .map(|_| alloc.allocate(&rng).unwrap().get())
            .collect();
        got.sort_unstable();
        assert_eq!(got, vec![1, 3, 5, 7, 9]);
    }

    #[test]
    fn rejection_sampling_redraws_the_biased_zone() {
        // n = 3: zone = 2^32 - (2^32 % 3) = 4294967295; the word 0xFFFFFFFF is redrawn.
        let calls = Cell::new(0u32);
        let rng = |dest: &mut [u8]| {
            let word: u32 = if calls.get() == 0 { u32::MAX } else { 5 };
            calls.set(calls.get() + 1);
            dest.copy_from_slice(&word.to_le_bytes());
            Ok(())
        };
        assert_eq!(uniform_below(&rng, 3).unwrap(), 2);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn draws_are_roughly_uniform() {
        // First draw over 4 free indices, 4000 fresh allocators: each index ~1000 times.
        let rng = seeded(99);
        let mut counts = [0u32; 4];
        for _ in 0..4000 {
            let mut alloc = IndexAllocator::new(4);
            let idx = usize::try_from(alloc.allocate(&rng).unwrap().get()).unwrap();
            counts[idx] += 1;
        }
        for c in counts {
            assert!((850..1150).contains(&c), "counts {counts:?}");
        }
    }

    #[test]
    fn random_source_failure_is_reported() {
        let rng = |_: &mut [u8]| {
            Err(jose_core::Error::Unsupported {
                what: "test randomness",
            })
        };
        let mut alloc = IndexAllocator::new(4);
        assert_eq!(
            alloc.allocate(&rng),
            Err(Error::Random(jose_core::Error::Unsupported {
                what: "test randomness"
            }))
        );
        assert_eq!(alloc.remaining(), 4);
    }
}
