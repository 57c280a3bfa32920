//! The pool's connections: a `postgres::Client` with the time it last came back healthy, so
//! a connection handed out again within [`FRESH`] is not tested with a round trip first.

use core::time::Duration;
use std::time::Instant;

use postgres::{Client, NoTls};
use r2d2::ManageConnection;
use r2d2_postgres::PostgresConnectionManager;

/// How long after its last use a connection is handed out without a test. Under load a
/// connection comes back within milliseconds, and the test round trip (an empty query) cost
/// as much as a statement; a connection idle longer (maybe across a database restart) is
/// tested first and replaced when broken. A restart inside this window fails the next
/// statement on that connection (`Unavailable`, a 5xx), which drops it from the pool.
pub(crate) const FRESH: Duration = Duration::from_secs(1);

/// A pooled connection.
pub(crate) struct Conn {
    pub(crate) client: Client,
    /// When the connection last came back to the pool unbroken (or passed a test).
    healthy_at: Instant,
}

impl core::fmt::Debug for Conn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Conn")
            .field("closed", &self.client.is_closed())
            .field("healthy_at", &self.healthy_at)
            .finish_non_exhaustive()
    }
}

/// [`PostgresConnectionManager`] handing out [`Conn`]s.
#[derive(Debug)]
pub(crate) struct Manager(pub(crate) PostgresConnectionManager<NoTls>);

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.0.connect()?,
            healthy_at: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        if conn.healthy_at.elapsed() < FRESH && !conn.client.is_closed() {
            return Ok(());
        }
        self.0.is_valid(&mut conn.client)?;
        conn.healthy_at = Instant::now();
        Ok(())
    }

    /// Called when a connection comes back to the pool.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        if self.0.has_broken(&mut conn.client) {
            return true;
        }
        conn.healthy_at = Instant::now();
        false
    }
}
