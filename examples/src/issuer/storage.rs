//! Where a demo issuer keeps its state: in memory (a restart forgets everything), or its keys
//! in a data directory (see [`crate::datadir`]) and the engine's stores in SQLite or
//! PostgreSQL, optionally with the replay guard in Redis.
//!
//! A fleet runs every instance on the same PostgreSQL database (and the same Redis, if any)
//! with the same keys file: then a code, token, PoP or DPoP proof used on one instance is used
//! on all, and status indices are unique across them.

use std::path::PathBuf;
use std::sync::Arc;

use issuer_store::{
    PostgresOptions, PostgresStores, RedisOptions, RedisReplayGuard, SqliteOptions, SqliteStores,
};
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
    /// Keys in the data directory, state in a database.
    Persistent {
        /// The data directory (keys file; the SQLite database by default).
        dir: DataDir,
        /// The engine's stores.
        database: Database,
        /// A Redis URL for the replay guard (`None`: the database's).
        replay: Option<String>,
    },
}

/// The database of a [`Storage::Persistent`].
#[derive(Clone)]
#[non_exhaustive]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl core::fmt::Debug for Database {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Self::Postgres(url) => write!(f, "Postgres({})", redacted(url)),
        }
    }
}

/// `url` with the password of its userinfo replaced by `***` (for logs).
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl Storage {
    /// The storage the `issuer` binary's options name: `store` is `memory`, `sqlite:PATH` or a
    /// `postgres://` / `postgresql://` URL (default: `sqlite:` the data directory's database),
    /// `data_dir` the data directory (default [`crate::datadir::DEFAULT_DATA_DIR`]), `replay` a
    /// `redis://` or `rediss://` URL for the replay guard.
    ///
    /// # Errors
    /// [`DemoError::Config`] naming `--store` or `--replay` for another form, or `--replay`
    /// with `--store memory`.
    pub fn from_options(
        store: Option<&str>,
        data_dir: Option<&str>,
        replay: Option<&str>,
    ) -> Result<Self, DemoError> {
        let dir = DataDir::new(data_dir.unwrap_or(crate::datadir::DEFAULT_DATA_DIR));
        if let Some(url) = replay
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(DemoError::Config(format!(
                "--replay {}: expected a redis:// or rediss:// URL",
                redacted(url)
            )));
        }
        let replay = replay.map(str::to_owned);
        let database = match store {
            Some("memory") if replay.is_some() => {
                return Err(DemoError::Config(
                    "--replay needs a persistent --store (sqlite:PATH or postgres://...)".into(),
                ));
            }
            Some("memory") => return Ok(Self::InMemory),
            None => Database::Sqlite(dir.database()),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url.to_owned())
            }
            Some(other) => match other.strip_prefix("sqlite:") {
                Some(path) if !path.is_empty() => Database::Sqlite(PathBuf::from(path)),
                _ => {
                    return Err(DemoError::Config(format!(
                        "--store {}: expected `memory`, `sqlite:PATH` or `postgres://...`",
                        redacted(other)
                    )));
                }
            },
        };
        Ok(Self::Persistent {
            dir,
            database,
            replay,
        })
    }

    /// The rotation file of the credential signing keys (see [`crate::rotation`]): in the
    /// data directory, `None` for [`Self::InMemory`] (rotations are then forgotten at a
    /// restart, as everything else).
    #[must_use]
    pub fn rotation_file(&self) -> Option<PathBuf> {
        match self {
            Self::InMemory => None,
            Self::Persistent { dir, .. } => Some(dir.path().join(crate::rotation::ROTATION_FILE)),
        }
    }

    /// Opens the storage: the key material (read, or generated and, when persistent, written;
    /// no signing keys when `credential_alg` is `None`, and an IACA made for `issuer`, see
    /// [`DataDir::keys`]) and the engine's stores. The stores' status lists have
    /// `status_list_size` entries.
    /// Blocks on the database: call it from a blocking thread.
    ///
    /// # Errors
    /// As [`DataDir::keys`]; [`DemoError::Config`] naming `--store` or `--replay` when the
    /// database or Redis cannot be reached, opened or migrated.
    pub fn open(
        &self,
        credential_alg: Option<Algorithm>,
        issuer: &str,
        status_list_size: u32,
        rng: &dyn RandomSource,
        now: UnixTime,
    ) -> Result<OpenStorage, DemoError> {
        let Self::Persistent {
            dir,
            database,
            replay,
        } = self
        else {
            return Ok(OpenStorage {
                keys: KeyMaterial::generate(credential_alg, issuer, rng, now)?,
                keys_created: true,
                stores: Stores::in_memory(&StoreLimits::default(), status_list_size),
                replay: None,
                sqlite: None,
                audit: AuditTrail::in_memory(),
                description: "in memory: a restart forgets it".into(),
            });
        };
        let (keys, keys_created) = dir.keys(credential_alg, issuer, rng, now)?;
        let verb = if keys_created { "created" } else { "reopened" };
        let mut sqlite = None;
        let (stores, database_replay, audit, mut description) = match database {
            Database::Sqlite(path) => {
                let options = SqliteOptions::default().with_status_list_size(status_list_size);
                let db = SqliteStores::open(path, &options).map_err(|e| {
                    DemoError::Config(format!("--store sqlite:{}: {e}", path.display()))
                })?;
                sqlite = Some(db.clone());
                (
                    db.stores(),
                    db.replay_guard(),
                    AuditTrail::sqlite(&db),
                    format!("state in sqlite:{}", path.display()),
                )
            }
            Database::Postgres(url) => {
                let options = PostgresOptions::default().with_status_list_size(status_list_size);
                let db = PostgresStores::connect(url, &options)
                    .map_err(|e| DemoError::Config(format!("--store {}: {e}", redacted(url))))?;
                (
                    db.stores(),
                    db.replay_guard(),
                    AuditTrail::postgres(&db),
                    format!("state in {}", redacted(url)),
                )
            }
        };
        let replay: Arc<dyn ReplayGuard> = match replay {
            Some(url) => {
                let guard = RedisReplayGuard::connect(url, &RedisOptions::default())
                    .map_err(|e| DemoError::Config(format!("--replay {}: {e}", redacted(url))))?;
                description.push_str(&format!(", replay guard in {}", redacted(url)));
                Arc::new(guard)
            }
            None => database_replay,
        };
        Ok(OpenStorage {
            keys,
            keys_created,
            stores,
            replay: Some(replay),
            sqlite,
            audit,
            description: format!("keys in {} ({verb}), {description}", dir.path().display()),
        })
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
    /// The SQLite stores, when the state is in SQLite: handlers run each request's calls
    /// through [`SqliteStores::durably`] (one sync per request).
    pub sqlite: Option<SqliteStores>,
    /// The audit trail.
    pub audit: AuditTrail,
    /// Where the state is, for the start-up log line (no password).
    pub description: String,
}

impl core::fmt::Debug for OpenStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenStorage")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_logs() {
        assert_eq!(
            redacted("postgres://issuer:s3cret@db.example:5432/issuer?sslmode=disable"),
            "postgres://issuer:***@db.example:5432/issuer?sslmode=disable"
        );
        assert_eq!(
            redacted("redis://:pw@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            redacted("postgres://db.example/issuer"),
            "postgres://db.example/issuer"
        );
        assert_eq!(redacted("not a url"), "***");
    }

    #[test]
    fn the_store_options_parse_or_name_the_option() {
        assert!(matches!(
            Storage::from_options(Some("memory"), None, None),
            Ok(Storage::InMemory)
        ));
        assert!(matches!(
            Storage::from_options(Some("postgres://u:p@h/db"), Some("d"), Some("redis://h")),
            Ok(Storage::Persistent {
                database: Database::Postgres(_),
                replay: Some(_),
                ..
            })
        ));
        let Err(DemoError::Config(bad)) = Storage::from_options(Some("mysql://u:pw@h"), None, None)
        else {
            panic!("mysql accepted");
        };
        assert!(bad.starts_with("--store mysql://u:***@h"), "{bad}");
        assert!(matches!(
            Storage::from_options(Some("memory"), None, Some("redis://h")),
            Err(DemoError::Config(m)) if m.starts_with("--replay needs")
        ));
        assert!(matches!(
            Storage::from_options(None, None, Some("http://h")),
            Err(DemoError::Config(m)) if m.starts_with("--replay")
        ));
    }
}
