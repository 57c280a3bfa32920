//! The connection pool: opening, configuration, transactions, error mapping and throttled
//! expiry purges.

use core::sync::atomic::{AtomicI64, Ordering};
use core::time::Duration;

use jose_core::UnixTime;
use oid4vci_issuer::StoreError;
use postgres::types::{FromSqlOwned, ToSql, Type};
use postgres::{Client, GenericClient, NoTls, Row, Transaction};
use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;

use super::pool::Manager;
use super::{PostgresOptions, schema};
use crate::OpenError;
use crate::shared::EXPIRING_TABLES;

/// A statement parameter with the PostgreSQL type it is sent as. With the types known, a
/// statement runs in one round trip (parse, bind and execute sent together, the `*_typed`
/// calls) instead of two (a prepare to learn the types, then the execution), and a round trip
/// through the synchronous client cost more of the issuer's time than the statement itself.
/// The schema's columns are `BIGINT`, `TEXT` and `BYTEA`; a value of another Rust type does
/// not compile.
pub(crate) trait Param: Sync {
    /// The value to encode.
    fn value(&self) -> &(dyn ToSql + Sync);
    /// The type it is sent as.
    fn pg_type(&self) -> Type;
}

macro_rules! params {
    ($($rust:ty => $pg:ident),* $(,)?) => {
        $(impl Param for $rust {
            fn value(&self) -> &(dyn ToSql + Sync) {
                self
            }
            fn pg_type(&self) -> Type {
                Type::$pg
            }
        })*
    };
}

params!(i64 => INT8, &str => TEXT, String => TEXT, Vec<u8> => BYTEA, &[u8] => BYTEA);

/// Statement parameters.
pub(crate) type Params<'a> = &'a [&'a dyn Param];

fn typed<'a>(params: Params<'a>) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params.iter().map(|p| (p.value(), p.pg_type())).collect()
}

/// The most rows one purge statement deletes (a fleet's purges stay short and skip each
/// other's rows).
const PURGE_BATCH: i64 = 5_000;

/// The pool and the purge schedule of each expiring table.
#[derive(Debug)]
pub(crate) struct PgDb {
    pool: Pool<Manager>,
    /// For each of [`EXPIRING_TABLES`]: the earliest `now` (seconds) at which an insert purges
    /// the table again.
    next_purge: Vec<AtomicI64>,
    purge_interval: i64,
}

/// A failed statement or connection as a store failure. Only the server's message and
/// SQLSTATE are kept: a `DETAIL` may quote a row, and this text may reach a log.
pub(crate) fn unavailable(e: postgres::Error) -> StoreError {
    StoreError::Unavailable(format!("postgres: {}", describe(&e)))
}

/// The server's message and SQLSTATE, or the client's error.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// Column `idx` of `row`, a type mismatch being a store failure.
pub(crate) fn col<T: FromSqlOwned>(row: &Row, idx: usize) -> Result<T, StoreError> {
    row.try_get(idx).map_err(unavailable)
}

/// Appends `(${first}, ${first + 1}, …)`, `count` placeholders, to `sql`: one row of a
/// multi-row statement, or an `IN` list.
pub(crate) fn push_placeholders(sql: &mut String, first: usize, count: usize) {
    use core::fmt::Write as _;
    sql.push('(');
    for n in 0..count {
        if n > 0 {
            sql.push_str(", ");
        }
        // Writing to a `String` cannot fail.
        let _ = write!(sql, "${}", first.saturating_add(n));
    }
    sql.push(')');
}

/// Runs `sql`, returning the number of rows it touched.
pub(crate) fn exec(
    c: &mut impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, StoreError> {
    c.execute_typed(sql, &typed(params)).map_err(unavailable)
}

/// Runs `sql`, returning its one row or none.
pub(crate) fn one(
    c: &mut impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, StoreError> {
    c.query_typed_opt(sql, &typed(params)).map_err(unavailable)
}

/// Runs `sql`, returning all its rows.
pub(crate) fn all(
    c: &mut impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>, StoreError> {
    c.query_typed(sql, &typed(params)).map_err(unavailable)
}

impl PgDb {
    /// Builds the pool, then migrates the schema.
    pub(crate) fn open(url: &str, options: &PostgresOptions) -> Result<Self, OpenError> {
        if options.pool_size == 0 {
            return Err(OpenError::Postgres(
                "the pool needs at least one connection".into(),
            ));
        }
        if options.connect_timeout.is_zero() || options.statement_timeout.is_zero() {
            return Err(OpenError::Postgres("a timeout of 0".into()));
        }
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| OpenError::Postgres(describe(&e)))?;
        config.connect_timeout(options.connect_timeout);
        config.keepalives(true);
        if config.get_application_name().is_none() {
            config.application_name("issuer-store");
        }
        // Server-side limits for every session: a statement (lock waits included) gives up
        // after `statement_timeout`, and a session stuck inside a transaction is ended.
        let statement_ms = millis(options.statement_timeout);
        let idle_ms = statement_ms.saturating_mul(4);
        let mut session = format!(
            "-c statement_timeout={statement_ms} -c idle_in_transaction_session_timeout={idle_ms}"
        );
        if let Some(given) = config.get_options() {
            session = format!("{given} {session}");
        }
        config.options(&session);

        let pool = Pool::builder()
            .max_size(options.pool_size)
            // No connection is opened ahead of need (and `build` does not wait for one).
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            // A cheap round trip before a connection idle for a while is handed out: one broken
            // by a database restart is replaced instead of failing a request (see `pool`).
            .test_on_check_out(true)
            .build(Manager(PostgresConnectionManager::new(config, NoTls)))
            .map_err(|e| OpenError::Postgres(e.to_string()))?;
        {
            let mut conn = pool
                .get()
                .map_err(|e| OpenError::Postgres(format!("no connection: {e}")))?;
            schema::migrate(&mut conn.client)?;
        }
        Ok(Self {
            pool,
            next_purge: EXPIRING_TABLES
                .iter()
                .map(|_| AtomicI64::new(i64::MIN))
                .collect(),
            purge_interval: i64::try_from(options.purge_interval.as_secs()).unwrap_or(i64::MAX),
        })
    }

    fn conn(&self) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool
            .get()
            .map_err(|e| StoreError::Unavailable(format!("postgres: no connection: {e}")))
    }

    /// Runs `f` on a pooled connection (each statement commits on its own).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        f(&mut conn.client)
    }

    /// Runs `f` in a transaction (read committed: the row locks `f` takes with `FOR UPDATE`
    /// keep what it read from changing), committing when `f` returns `Ok` (a refusal whose
    /// writes must stay, e.g. a burnt code, is an `Ok(Err(_))`) and rolling back on `Err`.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|client| in_transaction(client, f))
    }

    /// Runs `f`, one statement committing on its own (no `BEGIN`/`COMMIT` round trips), after
    /// purging `table` if its purge is due.
    pub(crate) fn with_purging<T>(
        &self,
        table: &str,
        now: UnixTime,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        self.purge_if_due(&mut conn.client, table, now)?;
        f(&mut conn.client)
    }

    /// Runs `f` in a transaction after purging `table` if its purge is due.
    pub(crate) fn write_purging<T>(
        &self,
        table: &str,
        now: UnixTime,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_purging(table, now, |client| in_transaction(client, f))
    }

    /// Purges the expired rows of `table` if this process has not done so in the last purge
    /// interval (by the callers' clock).
    pub(crate) fn purge_if_due(
        &self,
        c: &mut impl GenericClient,
        table: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let Some(next) = EXPIRING_TABLES
            .iter()
            .position(|t| *t == table)
            .and_then(|i| self.next_purge.get(i))
        else {
            return Ok(());
        };
        if now.secs() < next.load(Ordering::Relaxed) {
            return Ok(());
        }
        next.store(
            now.secs().saturating_add(self.purge_interval),
            Ordering::Relaxed,
        );
        purge(c, table, now).map(|_| ())
    }

    /// Deletes the expired rows of every table.
    pub(crate) fn purge_all(&self, now: UnixTime) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let mut total = 0u64;
        for table in EXPIRING_TABLES {
            loop {
                let n = purge(&mut conn.client, table, now)?;
                total = total.saturating_add(n);
                if n < PURGE_BATCH.unsigned_abs() {
                    break;
                }
            }
        }
        Ok(total)
    }
}

/// Runs `f` in a transaction on `client`, committing when it returns `Ok`.
fn in_transaction<T>(
    client: &mut Client,
    f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut tx = client.transaction().map_err(unavailable)?;
    let out = f(&mut tx)?;
    tx.commit().map_err(unavailable)?;
    Ok(out)
}

/// Deletes up to [`PURGE_BATCH`] expired rows of `table` (one of this crate's table names,
/// never input), skipping rows another session holds.
fn purge(c: &mut impl GenericClient, table: &str, now: UnixTime) -> Result<u64, StoreError> {
    exec(
        c,
        &format!(
            "DELETE FROM {table} WHERE ctid IN
             (SELECT ctid FROM {table} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        ),
        &[&now.secs(), &PURGE_BATCH],
    )
}

/// A duration in whole milliseconds, at least 1.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
