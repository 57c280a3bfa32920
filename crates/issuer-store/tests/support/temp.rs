//! A database file in the temp directory, deleted (with its WAL files) when dropped.

use core::sync::atomic::{AtomicU64, Ordering};
use std::path::{Path, PathBuf};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, unique database path.
#[derive(Debug)]
pub(crate) struct TempDb {
    path: PathBuf,
}

impl TempDb {
    /// A path no other test uses.
    pub(crate) fn new(label: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "issuer-store-{label}-{}-{n}-{nanos}.sqlite3",
            std::process::id()
        ));
        Self { path }
    }

    /// The path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}
