//! A throwaway PostgreSQL server for the tests: one per test binary, started on first use
//! from the system's PostgreSQL binaries (Debian package `postgresql`), listening on
//! 127.0.0.1 on a free port, with its data directory and unix socket in a fresh temp dir.
//!
//! `initdb` refuses to run as root: as root (CI), every server command runs as the
//! `postgres` user (created by the Debian package) through `runuser`, and the temp dir is
//! handed to that user. The server outlives nothing: a watchdog shell started with it stops
//! it (`pg_ctl stop -m immediate`) and deletes the temp dir once the test process is gone,
//! since a `static` is never dropped.

#![allow(dead_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The running server of this test binary.
#[derive(Debug)]
pub(crate) struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    admin: Mutex<()>,
}

static SERVER: OnceLock<PgServer> = OnceLock::new();
static DATABASES: AtomicU64 = AtomicU64::new(0);

/// The server of this test binary, started on first use.
pub(crate) fn server() -> &'static PgServer {
    SERVER.get_or_init(PgServer::start)
}

/// The directory of `initdb`, `pg_ctl` and `postgres`: `$PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn find_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("initdb").exists(),
            "PG_BIN={} has no initdb: install the Debian package `postgresql` or point PG_BIN \
             at the PostgreSQL server binaries",
            dir.display()
        );
        return dir;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "the PostgreSQL tests need the PostgreSQL server binaries (initdb, pg_ctl): \
             install the Debian package `postgresql` (apt-get install -y postgresql), or set \
             PG_BIN to their directory"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl PgServer {
    fn start() -> Self {
        let bin = find_bin();
        let as_postgres = is_root();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        // As root the server runs as `postgres`, which must reach the directory: /tmp, not a
        // $TMPDIR that may sit under root's home.
        let base = if as_postgres {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("issuer-store-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the server's temp dir");
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("run chown");
            assert!(status.success(), "chown the temp dir to the postgres user");
        }
        let server = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
            admin: Mutex::new(()),
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data().to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        server.start_server();
        server.watchdog();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the server's programs (as `postgres` when root), its output to a log in
    /// the temp dir; panics with the log when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let log_path = self.dir.join(format!("{program}.out"));
        let log = std::fs::File::create(&log_path).expect("create a log file");
        let program_path = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program_path);
            c
        } else {
            Command::new(&program_path)
        };
        let status = cmd
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone a file handle"))
            .stderr(log)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program_path.display()));
        if !status.success() {
            let out = std::fs::read_to_string(&log_path).unwrap_or_default();
            let server_log =
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            panic!("{program} failed ({status}):\n{out}\nserver log:\n{server_log}");
        }
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    pub(crate) fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-l",
                &self.dir.join("server.log").to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server (`-m fast`: sessions are ended, nothing committed is lost).
    pub(crate) fn stop_server(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// A shell that stops the server and removes the temp dir once this process has exited.
    // It must outlive this process, so it is never waited for (init reaps it).
    #[allow(clippy::zombie_processes)]
    fn watchdog(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = format!(
            "{}'{}' -D '{}' -m immediate stop",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl.display(),
            self.data().display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop}; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the watchdog");
    }

    /// The connection string of database `name`.
    pub(crate) fn url(&self, name: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={name}",
            self.port
        )
    }

    /// A new, empty database: its connection string.
    pub(crate) fn fresh_database(&self, label: &str) -> String {
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let name = format!("{label}_{n}");
        // One CREATE DATABASE at a time (they all copy template1).
        let _guard = self.admin.lock().unwrap_or_else(|e| e.into_inner());
        let mut admin =
            postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("connect");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a database");
        self.url(&name)
    }

    /// The temp dir (data, socket, logs).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}
