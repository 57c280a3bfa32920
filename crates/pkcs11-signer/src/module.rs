//! A loaded PKCS#11 module, shared by every token opened through it in this process.
//!
//! A module may be initialised (`C_Initialize`) once per process, and finalising it ends every
//! session through it. So the process keeps one [`Module`] per file: a second `Token::open` on
//! the same file shares the first one's, and the last one dropped calls `C_Finalize` (when this
//! crate initialised the module: one initialised by other code in the process is left alone).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};

use crate::error::{Pkcs11Error, describe};

/// The modules loaded by this process, by canonical path.
static LOADED: Mutex<Vec<(PathBuf, Weak<Module>)>> = Mutex::new(Vec::new());

/// One loaded and initialised module.
#[derive(Debug)]
pub(crate) struct Module {
    pub(crate) context: Pkcs11,
    path: PathBuf,
    /// Whether dropping the last user calls `C_Finalize`.
    finalize: bool,
}

impl Module {
    /// The process's module for `path`, loading and initialising it if needed.
    ///
    /// # Errors
    /// [`Pkcs11Error::ModuleLoad`] when the library cannot be loaded or initialised.
    pub(crate) fn load(given: &Path) -> Result<Arc<Self>, Pkcs11Error> {
        // One entry per file, however the path is spelled (a missing file fails below).
        let canonical = std::fs::canonicalize(given).ok();
        let path = canonical.as_deref().unwrap_or(given);
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        let mut predecessor = false;
        if let Some((_, weak)) = loaded.iter().find(|(p, _)| p == path) {
            if let Some(module) = weak.upgrade() {
                return Ok(module);
            }
            // Its last user is being dropped and waits for this lock to finalise it: it will
            // see the new entry and leave finalising to us.
            predecessor = true;
        }
        let failed = |reason: String| Pkcs11Error::ModuleLoad {
            path: given.to_path_buf(),
            reason,
        };
        let context = Pkcs11::new(path).map_err(|e| failed(describe(&e)))?;
        let finalize =
            match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                Ok(()) => true,
                Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => predecessor,
                Err(e) => return Err(failed(describe(&e))),
            };
        let module = Arc::new(Self {
            context,
            path: path.to_path_buf(),
            finalize,
        });
        loaded.retain(|(p, _)| p != path);
        loaded.push((path.to_path_buf(), Arc::downgrade(&module)));
        Ok(module)
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        let replaced = loaded
            .iter()
            .any(|(p, weak)| *p == self.path && weak.strong_count() > 0);
        if replaced {
            return;
        }
        loaded.retain(|(p, _)| *p != self.path);
        if self.finalize {
            // Nothing to report to: the sessions are closed and the module is being unloaded.
            let _ = self.context.clone().finalize();
        }
    }
}
