//! [`Committed`]: what a request returned, held back until its writes are on disk.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

use oid4vci_issuer::StoreError;

use crate::db::Db;
use crate::durable::Commit;

/// What [`crate::SqliteStores::committed`]'s closure returned, with its writes committed but
/// perhaps not yet on disk. The value is reachable only once they are: `.await` it from an
/// async task (no thread waits: a background thread runs the sync and wakes the task), or
/// [`Committed::wait`] on a thread that may block.
///
/// Dropping it drops the value unanswered; the writes stay committed and reach the disk with
/// the next sync of anyone.
#[must_use = "the value may be answered only once its writes are on disk: await it or wait"]
#[derive(Debug)]
pub struct Committed<T> {
    /// `None` once a poll returned it.
    value: Option<T>,
    /// The commit to sync first (`None`: nothing to sync).
    commit: Option<Commit>,
    db: Arc<Db>,
}

// The value is never pinned: it is only moved out, whole, when ready.
impl<T> Unpin for Committed<T> {}

impl<T> Committed<T> {
    pub(crate) fn new(value: T, commit: Option<Commit>, db: Arc<Db>) -> Self {
        Self {
            value: Some(value),
            commit,
            db,
        }
    }

    /// Blocks this thread until the writes are on disk, then returns the value.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the sync fails (or an earlier one did): the writes
    /// may not be on disk, so the value must not be answered as a success.
    pub fn wait(mut self) -> Result<T, StoreError> {
        if let Some(commit) = self.commit {
            self.db.durable.sync(commit)?;
        }
        self.value.take().ok_or_else(returned)
    }
}

impl<T> Future for Committed<T> {
    type Output = Result<T, StoreError>;

    /// # Errors
    /// As [`Committed::wait`]; and [`StoreError::Unavailable`] when polled again after it
    /// returned the value.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(commit) = this.commit {
            match this.db.durable.poll_synced(commit, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => this.commit = None,
            }
        }
        Poll::Ready(this.value.take().ok_or_else(returned))
    }
}

fn returned() -> StoreError {
    StoreError::Unavailable("sqlite: the committed value was already returned".to_owned())
}
