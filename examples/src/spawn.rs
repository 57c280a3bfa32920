//! Running the demo binaries as separate processes (for the restart test and the load
//! generator): a child killed when dropped, a free loopback port, and a start that waits until
//! the server answers.

use core::net::SocketAddr;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use core::time::Duration;
use std::ffi::OsStr;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use crate::error::DemoError;
use crate::wallet::Http;

/// How long [`start`] waits for a server to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A server process, killed (SIGKILL: no chance to flush anything) when dropped.
#[derive(Debug)]
pub struct ChildServer {
    child: Child,
}

impl ChildServer {
    /// The process id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        // Already gone is fine: both calls only report that.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now (another process may take it before it is
/// used: good enough for tests on one machine).
///
/// # Errors
/// [`DemoError::Io`] when no port can be bound.
pub fn free_port() -> Result<u16, DemoError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The demo binary `name` (`issuer`, `attester`, ...) next to the running executable (or one
/// directory up, for test executables in `target/*/deps`).
///
/// # Errors
/// [`DemoError::Config`] when it is in neither place.
pub fn sibling_binary(name: &str) -> Result<PathBuf, DemoError> {
    let exe = std::env::current_exe()?;
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&file))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            DemoError::Config(format!(
                "no {file} beside {} (build it: cargo build -p examples --bin {name})",
                exe.display()
            ))
        })
}

/// Starts `binary` in `dir` with `args` (its output discarded) and waits until `ready` answers
/// any HTTP response.
///
/// # Errors
/// [`DemoError::Io`] when it cannot be started; [`DemoError::Config`] when it exits or does not
/// answer within [`START_TIMEOUT`].
pub fn start(
    binary: &Path,
    dir: &Path,
    args: &[&str],
    ready: &str,
) -> Result<ChildServer, DemoError> {
    start_with_env(binary, dir, args, &[], ready)
}

/// As [`start`], with the environment variables `env` added to the child's (e.g.
/// `SOFTHSM2_CONF` and a PIN variable for a server with its keys in SoftHSM).
///
/// # Errors
/// As [`start`].
pub fn start_with_env(
    binary: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &OsStr)],
    ready: &str,
) -> Result<ChildServer, DemoError> {
    let child = Command::new(binary)
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut server = ChildServer { child };
    let http = Http::new();
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if http.get("ready", ready).is_ok() {
            return Ok(server);
        }
        if let Some(status) = server.child.try_wait()? {
            return Err(DemoError::Config(format!(
                "{} exited during start-up: {status}",
                binary.display()
            )));
        }
        if Instant::now() > deadline {
            return Err(DemoError::Config(format!(
                "{} did not answer at {ready} within {} s",
                binary.display(),
                START_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The CPU time (user + system, every thread) process `pid` has used, from `/proc/PID/stat`
/// (Linux; `None` elsewhere or when it cannot be read).
#[must_use]
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    /// `USER_HZ`: the unit of the `/proc` times, 100 on every Linux architecture's ABI.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: count fields after it.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of proc(5); the state (field 3) is index 0 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    // Exact for any realistic tick count (below 2^53).
    Some(f64::from(u32::try_from(ticks).ok()?) / TICKS_PER_SECOND)
}

/// A TCP load balancer on loopback for a fleet of servers on one machine: each accepted
/// connection goes to the next backend in turn, bytes copied both ways. For tests and the
/// load generator, not for production.
#[derive(Debug)]
pub struct RoundRobinProxy {
    addr: SocketAddr,
    stopped: Arc<AtomicBool>,
    connections: Arc<Vec<AtomicUsize>>,
}

impl RoundRobinProxy {
    /// Listens on a free loopback port and spreads connections over `backends`.
    ///
    /// # Errors
    /// [`DemoError::Io`] when it cannot listen; [`DemoError::Config`] without backends.
    pub fn start(backends: Vec<SocketAddr>) -> Result<Self, DemoError> {
        if backends.is_empty() {
            return Err(DemoError::Config(
                "a proxy needs at least one backend".into(),
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stopped = Arc::new(AtomicBool::new(false));
        let connections: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let (stop, counts) = (Arc::clone(&stopped), Arc::clone(&connections));
        std::thread::spawn(move || {
            for (backend, count) in backends.iter().zip(counts.iter()).cycle() {
                let Some(client) = listener.incoming().next() else {
                    return;
                };
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else {
                    continue;
                };
                count.fetch_add(1, Ordering::Relaxed);
                let backend = *backend;
                std::thread::spawn(move || pipe(client, backend));
            }
        });
        Ok(Self {
            addr,
            stopped,
            connections,
        })
    }

    /// `http://{address}`: the fleet's one base URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The connections each backend got so far, in the order given.
    #[must_use]
    pub fn connections(&self) -> Vec<usize> {
        self.connections
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }
}

impl Drop for RoundRobinProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Relaxed);
        // Wake the accepting thread so it sees the flag (a failure means it is gone).
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies bytes between `client` and a new connection to `backend` until both sides close.
fn pipe(client: TcpStream, backend: SocketAddr) {
    let Ok(server) = TcpStream::connect(backend) else {
        return;
    };
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upstream = std::thread::spawn(move || {
        // Either side closing ends the copy; then tell the other side.
        let _ = std::io::copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(Shutdown::Write);
    });
    let (mut server_read, mut client_write) = (server, client);
    let _ = std::io::copy(&mut server_read, &mut client_write);
    let _ = client_write.shutdown(Shutdown::Write);
    let _ = upstream.join();
}
