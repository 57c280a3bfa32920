//! Where a demo issuer keeps its state: in memory (a restart forgets everything) or in a data
//! directory (see [`crate::datadir`]) with the engine's stores in SQLite.

use std::path::PathBuf;
use std::sync::Arc;

use issuer_store::{SqliteOptions, SqliteStores};
use jose_core::{Algorithm, RandomSource, UnixTime};
use oid4vci_issuer::{StoreLimits, Stores};
use pop_verifier::ReplayGuard;

use super::AuditTrail;
use crate::datadir::{DataDir, KeyMaterial};
use crate::error::DemoError;

/// Where a demo issuer keeps its keys and the engine's state.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Storage {
    /// Everything in memory, generated at start: a restart forgets every code, token, status
    /// list and key, so earlier credentials no longer verify. For tests and one-off demos.
    InMemory,
    /// Keys in the data directory, state in a SQLite database.
    Persistent {
        /// The data directory (keys file; the database by default).
        dir: DataDir,
        /// The SQLite database file.
        database: PathBuf,
    },
}

impl Storage {
    /// The storage the `issuer` binary's options name: `store` is `memory` or `sqlite:PATH`
    /// (default: `sqlite:` the data directory's database), `data_dir` the data directory
    /// (default [`crate::datadir::DEFAULT_DATA_DIR`]).
    ///
    /// # Errors
    /// [`DemoError::Config`] naming `--store` for another form.
    pub fn from_options(store: Option<&str>, data_dir: Option<&str>) -> Result<Self, DemoError> {
        let dir = DataDir::new(data_dir.unwrap_or(crate::datadir::DEFAULT_DATA_DIR));
        match store {
            Some("memory") => Ok(Self::InMemory),
            None => Ok(Self::Persistent {
                database: dir.database(),
                dir,
            }),
            Some(other) => match other.strip_prefix("sqlite:") {
                Some(path) if !path.is_empty() => Ok(Self::Persistent {
                    dir,
                    database: PathBuf::from(path),
                }),
                _ => Err(DemoError::Config(format!(
                    "--store {other}: expected `memory` or `sqlite:PATH`"
                ))),
            },
        }
    }

    /// Opens the storage: the key material (read, or generated and, when persistent, written)
    /// and the engine's stores. The stores' status lists have `status_list_size` entries.
    ///
    /// # Errors
    /// As [`DataDir::keys`]; [`DemoError::Config`] naming the database when it cannot be
    /// opened or migrated.
    pub fn open(
        &self,
        credential_alg: Algorithm,
        status_list_size: u32,
        rng: &dyn RandomSource,
        now: UnixTime,
    ) -> Result<OpenStorage, DemoError> {
        match self {
            Self::InMemory => Ok(OpenStorage {
                keys: KeyMaterial::generate(credential_alg, rng, now)?,
                keys_created: true,
                stores: Stores::in_memory(&StoreLimits::default(), status_list_size),
                replay: None,
                audit: AuditTrail::in_memory(),
                description: "in memory: a restart forgets it".into(),
            }),
            Self::Persistent { dir, database } => {
                let (keys, created) = dir.keys(credential_alg, rng, now)?;
                let options = SqliteOptions::default().with_status_list_size(status_list_size);
                let db = SqliteStores::open(database, &options).map_err(|e| {
                    DemoError::Config(format!("--store sqlite:{}: {e}", database.display()))
                })?;
                let verb = if created { "created" } else { "reopened" };
                Ok(OpenStorage {
                    keys,
                    keys_created: created,
                    stores: db.stores(),
                    replay: Some(db.replay_guard()),
                    audit: AuditTrail::sqlite(&db),
                    description: format!(
                        "keys in {} ({verb}), state in sqlite:{}",
                        dir.path().display(),
                        database.display()
                    ),
                })
            }
        }
    }
}

/// An opened [`Storage`].
#[non_exhaustive]
pub struct OpenStorage {
    /// The issuer's keys and CAs.
    pub keys: KeyMaterial,
    /// Whether the keys were generated now (not read from the data directory).
    pub keys_created: bool,
    /// The engine's stores.
    pub stores: Stores,
    /// The replay guard of PoP, DPoP and key proof `jti`s (`None`: the engine's in-memory one).
    pub replay: Option<Arc<dyn ReplayGuard>>,
    /// The audit trail.
    pub audit: AuditTrail,
    /// Where the state is, for the start-up log line.
    pub description: String,
}

impl core::fmt::Debug for OpenStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenStorage")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}
