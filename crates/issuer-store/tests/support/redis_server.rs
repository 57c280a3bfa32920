//! A throwaway `redis-server` for the tests (Debian package `redis-server`): no persistence,
//! listening on 127.0.0.1 on a free port, killed when dropped (and, should the test process
//! die first, by a watchdog shell once the process is gone).

#![allow(dead_code)]

use core::time::Duration;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// A running server.
#[derive(Debug)]
pub(crate) struct RedisServer {
    port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn binary() -> String {
    let path = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
    let found = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "the Redis tests need `redis-server`: install the Debian package `redis-server` \
         (apt-get install -y redis-server), or set REDIS_SERVER to its path"
    );
    path
}

impl RedisServer {
    /// Starts a server and waits until it answers.
    pub(crate) fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            child: None,
        };
        server.restart();
        server
    }

    /// (Re)starts the server on its port, empty.
    pub(crate) fn restart(&mut self) {
        let port = self.port.to_string();
        let child = Command::new(binary())
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 1; done; kill {child} 2>/dev/null",
            me = std::process::id(),
            child = child.id()
        );
        // The watchdog outlives this process on purpose (init reaps it).
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the watchdog");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
