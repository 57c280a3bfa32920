//! Matching a disclosure policy's paths against the claims an issuer walks: the concrete path
//! of a claim, and a summary of each path that narrows which policy paths can match it.

use crate::path::{ClaimPath, PathSegment};

/// One step of a concrete path into the claims.
#[derive(Clone, Copy)]
pub(crate) enum Step<'c> {
    Key(&'c str),
    Index(usize),
}

/// `a == b`, checking the length and the last byte before comparing the rest (most policy
/// names differ there, and this runs for every claim times every policy path).
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// [`ClaimPath::matches`] against a borrowed concrete path.
pub(crate) fn matches(pattern: &ClaimPath, path: &[Step<'_>]) -> bool {
    pattern.segments().len() == path.len()
        && pattern
            .segments()
            .iter()
            .zip(path)
            .all(|(segment, step)| match (segment, step) {
                (PathSegment::Key(name), Step::Key(key)) => same_name(name, key),
                (PathSegment::Index(index), Step::Index(at)) => index == at,
                (PathSegment::AllArrayElements, Step::Index(_)) => true,
                _ => false,
            })
}

/// A path's length and a digest of its last step: a pattern can only match a concrete path
/// with the same summary, or, when the pattern's last step is every element, one whose last
/// step is an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Summary {
    pub(crate) len: usize,
    pub(crate) last: LastStep,
}

/// The last step of a path, as far as [`Summary`] tells paths apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LastStep {
    Key { len: usize, first: u8, last: u8 },
    Index(usize),
    AnyIndex,
    Root,
}

impl LastStep {
    fn key(name: &str) -> Self {
        let bytes = name.as_bytes();
        Self::Key {
            len: bytes.len(),
            first: bytes.first().copied().unwrap_or(0),
            last: bytes.last().copied().unwrap_or(0),
        }
    }
}

impl Summary {
    fn of_pattern(pattern: &ClaimPath) -> Self {
        let last = match pattern.segments().last() {
            None => LastStep::Root,
            Some(PathSegment::Key(name)) => LastStep::key(name),
            Some(PathSegment::Index(index)) => LastStep::Index(*index),
            Some(PathSegment::AllArrayElements) => LastStep::AnyIndex,
        };
        Self {
            len: pattern.segments().len(),
            last,
        }
    }

    pub(crate) fn of_path(path: &[Step<'_>]) -> Self {
        let last = match path.last() {
            None => LastStep::Root,
            Some(Step::Key(name)) => LastStep::key(name),
            Some(Step::Index(index)) => LastStep::Index(*index),
        };
        Self {
            len: path.len(),
            last,
        }
    }

    /// Each pattern's summary and position, sorted by summary.
    pub(crate) fn index(patterns: &[ClaimPath]) -> Vec<(Self, usize)> {
        let mut index: Vec<(Self, usize)> =
            patterns.iter().map(Self::of_pattern).zip(0..).collect();
        index.sort_unstable();
        index
    }
}
