//! A disclosure policy built once and shared by every issuance.

use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::path::ClaimPath;
use crate::selection::Summary;

/// The claim paths an issuer makes selectively disclosable, built once (for example per
/// credential configuration) and shared by every issuance: cloning it, or handing it to
/// [`SdJwtBuilder::with_disclosure_policy`](crate::SdJwtBuilder::with_disclosure_policy) or
/// [`SdJwtVcBuilder::with_disclosure_policy`](crate::SdJwtVcBuilder::with_disclosure_policy),
/// copies no path. It is `Send + Sync`.
///
/// Paths are matched as [`SdJwtBuilder::with_disclosable`](crate::SdJwtBuilder::with_disclosable)
/// describes; a path that selects no claim of a given credential is refused when that
/// credential is built.
///
/// ```
/// use sdjwt_vc::{ClaimPath, DisclosurePolicy};
/// let policy = DisclosurePolicy::new([ClaimPath::key("given_name"), ClaimPath::key("email")])?;
/// assert_eq!(policy.paths().len(), 2);
/// assert!(DisclosurePolicy::new([ClaimPath::root()]).is_err());
/// # Ok::<(), sdjwt_vc::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct DisclosurePolicy {
    /// `None` when empty (so that [`Self::empty`] is `const`).
    paths: Option<Arc<Paths>>,
}

/// The paths and, once an issuance has asked for it, their index by [`Summary`]: made once
/// for a shared policy, however many credentials it serves.
#[derive(Clone, Debug, Default)]
struct Paths {
    list: Vec<ClaimPath>,
    by_summary: OnceLock<Vec<(Summary, usize)>>,
}

impl Paths {
    fn new(list: Vec<ClaimPath>) -> Self {
        Self {
            list,
            by_summary: OnceLock::new(),
        }
    }
}

impl DisclosurePolicy {
    /// A policy making the claims at `paths` selectively disclosable.
    ///
    /// # Errors
    /// [`Error::InvalidPolicyPath`] for an empty path (it would select the payload itself).
    pub fn new(paths: impl IntoIterator<Item = ClaimPath>) -> Result<Self, Error> {
        let paths: Vec<ClaimPath> = paths.into_iter().collect();
        if let Some(path) = paths.iter().find(|p| p.segments().is_empty()) {
            return Err(Error::InvalidPolicyPath {
                path: path.clone(),
                reason: "is empty",
            });
        }
        Ok(Self {
            paths: (!paths.is_empty()).then(|| Arc::new(Paths::new(paths))),
        })
    }

    /// The policy that makes nothing disclosable.
    #[must_use]
    pub const fn empty() -> Self {
        Self { paths: None }
    }

    /// The paths, in the order they were given.
    #[must_use]
    pub fn paths(&self) -> &[ClaimPath] {
        self.paths
            .as_deref()
            .map_or(&[], |paths| paths.list.as_slice())
    }

    /// Each path's [`Summary`] with its position in [`Self::paths`], sorted by summary.
    pub(crate) fn summary_index(&self) -> &[(Summary, usize)] {
        self.paths.as_deref().map_or(&[], |paths| {
            paths
                .by_summary
                .get_or_init(|| Summary::index(&paths.list))
                .as_slice()
        })
    }

    /// Whether no path is selected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.paths().is_empty()
    }

    /// Adds a path, copying the shared list only if another holder shares it (the builders'
    /// `with_disclosable`; not validated here: the builder refuses an empty path).
    pub(crate) fn push(&mut self, path: ClaimPath) {
        self.extend([path]);
    }

    /// Adds paths as [`Self::push`] does.
    pub(crate) fn extend(&mut self, paths: impl IntoIterator<Item = ClaimPath>) {
        let shared = self.paths.get_or_insert_with(Arc::default);
        let own = Arc::make_mut(shared);
        own.list.extend(paths);
        own.by_summary = OnceLock::new();
    }

    /// Adds every path of `other`: shares `other`'s list when this policy is empty.
    pub(crate) fn merge(&mut self, other: &Self) {
        if self.is_empty() {
            self.paths.clone_from(&other.paths);
        } else {
            self.extend(other.paths().iter().cloned());
        }
    }
}

impl PartialEq for DisclosurePolicy {
    fn eq(&self, other: &Self) -> bool {
        self.paths() == other.paths()
    }
}

impl Eq for DisclosurePolicy {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_paths_are_refused_at_construction() {
        let empty = ClaimPath::root();
        assert_eq!(
            DisclosurePolicy::new([ClaimPath::key("a"), empty.clone()]),
            Err(Error::InvalidPolicyPath {
                path: empty,
                reason: "is empty",
            })
        );
    }

    #[test]
    fn sharing_copies_no_path_and_adding_does_not_touch_the_shared_list() {
        let shared = DisclosurePolicy::new([ClaimPath::key("a")]).unwrap();
        let mut mine = DisclosurePolicy::default();
        mine.merge(&shared);
        assert!(matches!((&mine.paths, &shared.paths), (Some(a), Some(b)) if Arc::ptr_eq(a, b)));
        mine.push(ClaimPath::key("b"));
        assert_eq!(shared.paths(), &[ClaimPath::key("a")]);
        assert_eq!(mine.paths(), &[ClaimPath::key("a"), ClaimPath::key("b")]);
        assert!(DisclosurePolicy::new([]).unwrap().is_empty());
        assert_eq!(
            DisclosurePolicy::new([]).unwrap(),
            DisclosurePolicy::empty()
        );
        let mut other = DisclosurePolicy::new([ClaimPath::key("c")]).unwrap();
        other.merge(&shared);
        assert_eq!(other.paths(), &[ClaimPath::key("c"), ClaimPath::key("a")]);
    }

    /// A shared policy's index is made once for all who share it; adding a path remakes it
    /// for the policy that grew, not for the others.
    #[test]
    fn the_summary_index_is_made_once_and_again_after_adding() {
        let shared = DisclosurePolicy::new([ClaimPath::key("b"), ClaimPath::key("a")]).unwrap();
        let clone = shared.clone();
        assert_eq!(
            clone.summary_index().as_ptr(),
            shared.summary_index().as_ptr()
        );
        assert_eq!(shared.summary_index(), Summary::index(shared.paths()));
        let mut grown = shared.clone();
        grown.push(ClaimPath::key("c").then_key("d"));
        assert_eq!(grown.summary_index(), Summary::index(grown.paths()));
        assert_eq!(grown.summary_index().len(), 3);
        assert_eq!(shared.summary_index().len(), 2);
        assert!(DisclosurePolicy::empty().summary_index().is_empty());
    }

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn is_send_and_sync() {
        assert_send_sync::<DisclosurePolicy>();
    }
}
