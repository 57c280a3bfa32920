//! A replay guard on Redis (feature `redis`); its choices are documented on
//! [`RedisReplayGuard`].

use core::time::Duration;

use jose_core::UnixTime;
use pop_verifier::{ReplayError, ReplayGuard};
use r2d2::Pool;
use redis::ConnectionLike as _;

use crate::OpenError;
use crate::shared::secret_key;

/// How [`RedisReplayGuard::connect`] connects.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RedisOptions {
    /// The most connections the pool opens (at least 1).
    pub pool_size: u32,
    /// How long connecting, waiting for a free pooled connection, or one command may take
    /// before the call fails with [`ReplayError::Unavailable`] (not 0).
    pub timeout: Duration,
    /// The prefix of every key this guard writes, so one Redis can serve several issuers or
    /// other applications.
    pub namespace: String,
}

impl Default for RedisOptions {
    /// 16 connections, a 2 s timeout, keys under `issuer-store:replay:`.
    fn default() -> Self {
        Self {
            pool_size: 16,
            timeout: Duration::from_secs(2),
            namespace: "issuer-store:replay:".into(),
        }
    }
}

impl RedisOptions {
    /// These options with a pool of at most `size` connections.
    #[must_use]
    pub const fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size;
        self
    }

    /// These options with `timeout` for connecting, waiting for a connection and each command.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// These options with keys under `namespace`.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }
}

/// Opens connections with a connect timeout and read and write timeouts, and checks a pooled
/// one with `PING` before handing it out.
#[derive(Debug)]
struct Manager {
    client: redis::Client,
    timeout: Duration,
}

impl r2d2::ManageConnection for Manager {
    type Connection = redis::Connection;
    type Error = redis::RedisError;

    fn connect(&self) -> Result<redis::Connection, redis::RedisError> {
        let conn = self.client.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut redis::Connection) -> Result<(), redis::RedisError> {
        redis::cmd("PING").query::<String>(conn).map(|_| ())
    }

    fn has_broken(&self, conn: &mut redis::Connection) -> bool {
        !conn.is_open()
    }
}

/// pop-verifier's [`ReplayGuard`] on Redis: the hot single-use set of PoP, DPoP and key proof
/// `jti`s, for a fleet that keeps it beside PostgreSQL.
///
/// ```no_run
/// use issuer_store::{RedisOptions, RedisReplayGuard};
/// let replay = RedisReplayGuard::connect("redis://cache.internal:6379/0", &RedisOptions::default())?;
/// // engine builder: .with_replay_guard(std::sync::Arc::new(replay))
/// # Ok::<(), issuer_store::OpenError>(())
/// ```
///
/// # Choices
/// - **Single use is one command**, `SET key 1 NX PX ttl`: Redis runs commands one at a time,
///   so of any number of processes recording the same key exactly one gets `OK` and every
///   other one a nil (a replay). No read-then-write. A batch (a credential request's key
///   proofs and the c_nonce they spend, so every credential request) is one `EVAL` of a
///   script, which Redis also runs without interleaving: its keys need one Redis (a Redis
///   Cluster refuses keys of different slots), and a Redis that forbids scripts refuses it
///   (`503`).
/// - **Expiry is Redis's.** The key lives for `expires_at - now` (the caller's clock gives the
///   duration, Redis's clock runs it), so nothing outlives its proof's acceptance window.
/// - **Keys are namespaced and hashed**: [`RedisOptions::namespace`] followed by the SHA-256
///   (hex) of the replay key, so a `jti` is never written in clear and no key is longer than
///   the prefix and 64 characters.
/// - **Failures fail closed**: a connection or command error (or timeout) is
///   [`ReplayError::Unavailable`], never an acceptance (the engine answers `503
///   temporarily_unavailable`). The pool ([`r2d2`](https://docs.rs/r2d2), synchronous like
///   the trait) checks a connection with `PING` before handing it out, so connections broken
///   while Redis was down are replaced once it is back.
/// - **Durability is the deployment's**: a Redis that restarts without its data (no
///   persistence) or fails over to a lagging replica forgets the keys of the last moments,
///   and a proof recorded then could be accepted again within its window. For the strict
///   guarantee run it with `appendonly yes` and `appendfsync always`, or keep replay in
///   PostgreSQL (`PostgresStores::replay_guard`, feature `postgres`).
/// - **No TLS yet** (`redis://` only): loopback, a unix socket or a private network.
#[derive(Debug, Clone)]
pub struct RedisReplayGuard {
    pool: Pool<Manager>,
    namespace: String,
}

impl RedisReplayGuard {
    /// Connects to the Redis at `url` (`redis://[user:password@]host[:port][/db]` or
    /// `redis+unix:///path`) and checks it answers `PING`.
    ///
    /// # Errors
    /// [`OpenError::Redis`] when the URL does not parse, an option is 0, or Redis cannot be
    /// reached within the timeout.
    pub fn connect(url: &str, options: &RedisOptions) -> Result<Self, OpenError> {
        if options.pool_size == 0 {
            return Err(OpenError::Redis(
                "the pool needs at least one connection".into(),
            ));
        }
        if options.timeout.is_zero() {
            return Err(OpenError::Redis("a timeout of 0".into()));
        }
        let client = redis::Client::open(url).map_err(|e| OpenError::Redis(e.to_string()))?;
        let pool = Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(0))
            .connection_timeout(options.timeout)
            .test_on_check_out(true)
            .build(Manager {
                client,
                timeout: options.timeout,
            })
            .map_err(|e| OpenError::Redis(e.to_string()))?;
        pool.get()
            .map_err(|e| OpenError::Redis(format!("no connection: {e}")))?;
        Ok(Self {
            pool,
            namespace: options.namespace.clone(),
        })
    }

    /// The Redis key `key` is recorded under.
    fn redis_key(&self, key: &str) -> String {
        format!("{}{}", self.namespace, secret_key(key))
    }
}

fn unavailable(e: impl core::fmt::Display) -> ReplayError {
    ReplayError::Unavailable {
        reason: format!("redis: {e}"),
    }
}

impl ReplayGuard for RedisReplayGuard {
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        if expires_at <= now {
            return Err(ReplayError::AlreadyExpired);
        }
        let mut conn = self.pool.get().map_err(unavailable)?;
        let answer: Option<String> = redis::cmd("SET")
            .arg(self.redis_key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(expires_at, now))
            .query(&mut *conn)
            .map_err(unavailable)?;
        match answer.as_deref() {
            Some("OK") => Ok(()),
            None => Err(ReplayError::Replayed),
            Some(other) => Err(unavailable(format_args!(
                "SET answered {other:?} instead of OK or nil"
            ))),
        }
    }

    /// One round trip for the batch, all or none: a script (Redis runs it without
    /// interleaving any other command) that sets no key when one is set already, and otherwise
    /// sets each with its own time to live.
    fn check_and_record_all(
        &self,
        entries: &[(&str, UnixTime)],
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        if !pop_verifier::check_batch(entries, now)? {
            return Ok(());
        }
        if let [(key, expires_at)] = entries {
            return self.check_and_record(key, *expires_at, now);
        }
        let mut script = redis::cmd("EVAL");
        script.arg(RECORD_ALL).arg(entries.len());
        for (key, _) in entries {
            script.arg(self.redis_key(key));
        }
        for &(_, expires_at) in entries {
            script.arg(ttl_ms(expires_at, now));
        }
        let mut conn = self.pool.get().map_err(unavailable)?;
        let recorded: i64 = script.query(&mut *conn).map_err(unavailable)?;
        match recorded {
            1 => Ok(()),
            0 => Err(ReplayError::Replayed),
            other => Err(unavailable(format_args!(
                "the batch script answered {other} instead of 1 or 0"
            ))),
        }
    }
}

/// The batch script of [`RedisReplayGuard::check_and_record_all`]: `KEYS` the batch's keys,
/// `ARGV` their times to live in milliseconds, in the same order; 1 when it set them all, 0
/// when one was set already (and it set none).
const RECORD_ALL: &str = "\
for _, key in ipairs(KEYS) do \
  if redis.call('EXISTS', key) == 1 then return 0 end \
end \
for i, key in ipairs(KEYS) do redis.call('SET', key, 1, 'PX', ARGV[i]) end \
return 1";

/// Milliseconds from `now` until `expires_at` (after `now`).
fn ttl_ms(expires_at: UnixTime, now: UnixTime) -> u64 {
    u64::try_from(expires_at.secs().saturating_sub(now.secs()))
        .unwrap_or(u64::MAX)
        .saturating_mul(1000)
}
