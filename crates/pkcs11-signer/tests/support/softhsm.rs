//! A throwaway SoftHSM2 (Debian package `softhsm2`) for the tests.
//!
//! SoftHSM reads its configuration file from `SOFTHSM2_CONF` when the module is initialised,
//! and the environment of a running multi-threaded process cannot be changed safely (nor at all
//! under `forbid(unsafe_code)`). So the test binary runs itself again as a child: the parent
//! creates a temporary token directory with one token per test (unique labels, listed in
//! [`TOKENS`]), starts the child with `SOFTHSM2_CONF` pointing there, and each test in the parent
//! passes only if the same test passed in the child. A second child runs the `restricted`
//! tests on a SoftHSM configuration that offers only `CKM_ECDSA` and `CKM_EC_KEY_PAIR_GEN`
//! (SoftHSM 2.6.1 ignores the documented `-CKM_…` deny-list form, so an allow-list it is).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use pkcs11_signer::{PinSource, TokenConfig};

/// The SoftHSM2 module as Debian installs it.
pub(crate) const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The user PIN of every test token.
pub(crate) const USER_PIN: &str = "246813";
const SO_PIN: &str = "97531357";
/// The environment variable the child finds the user PIN in.
pub(crate) const PIN_ENV: &str = "PKCS11_SIGNER_TEST_PIN";
/// Set in a child: `full` or `restricted`.
const CHILD_ENV: &str = "PKCS11_SIGNER_TEST_CHILD";
/// Set in a child: the temporary directory.
const DIR_ENV: &str = "PKCS11_SIGNER_TEST_DIR";

/// One token per test that needs one.
pub(crate) const TOKENS: &[&str] = &[
    "es256",
    "es384",
    "eddsa",
    "by-id",
    "wrong-pin",
    "pin-file",
    "missing-key",
    "pool",
    "persist",
    "exists",
    "find-or-generate",
    "wrong-alg",
    "failing",
    "restricted",
    // Initialised twice: two tokens with one label.
    "twin",
    "twin",
];

/// Which child runs a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Child {
    /// Every test, on a SoftHSM with all mechanisms.
    Full,
    /// The `restricted` module's tests, on a SoftHSM without `CKM_EDDSA`: its mechanisms are
    /// `CKM_ECDSA` and `CKM_EC_KEY_PAIR_GEN` only.
    Restricted,
}

impl Child {
    const fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Restricted => "restricted",
        }
    }
}

/// Runs the test `path` (`module_path!()::name`): in a child, `body`; in the parent, checks
/// that the child `which` passed it.
pub(crate) fn run(which: Child, path: &str, body: impl FnOnce()) {
    match std::env::var(CHILD_ENV) {
        Ok(child) if child == which.name() => body(),
        // The other child: not this test's configuration.
        Ok(_) => {}
        Err(_) => check_in_child(which, path),
    }
}

/// A config for the token `label` in the child, PIN from [`PIN_ENV`].
pub(crate) fn config(label: &str) -> TokenConfig {
    assert!(TOKENS.contains(&label), "add {label:?} to support::TOKENS");
    assert_ne!(label, "twin", "the twin tokens are for the ambiguity test");
    TokenConfig::new(MODULE, label, PinSource::Env(PIN_ENV.into()))
}

/// The child's temporary directory.
pub(crate) fn dir() -> PathBuf {
    PathBuf::from(std::env::var_os(DIR_ENV).expect("running in a child"))
}

struct ChildRun {
    passed: Vec<String>,
    output: String,
}

/// Both children's results; the temporary directory is gone once they are in.
static RUNS: OnceLock<[ChildRun; 2]> = OnceLock::new();

fn check_in_child(which: Child, path: &str) {
    let [full, restricted] = RUNS.get_or_init(|| {
        let dir = setup();
        let runs = [spawn(&dir, Child::Full), spawn(&dir, Child::Restricted)];
        drop(dir);
        runs
    });
    let run = match which {
        Child::Full => full,
        Child::Restricted => restricted,
    };
    // libtest names a test by its path without the crate.
    let name = path.split_once("::").map_or(path, |(_, rest)| rest);
    assert!(
        run.passed.iter().any(|p| p == name),
        "test {name} did not pass in the SoftHSM child process; its output:\n{}",
        run.output
    );
}

/// Creates the temporary SoftHSM directory: two configurations over one token directory with
/// the tokens of [`TOKENS`], and a PIN file.
fn setup() -> TempDir {
    assert!(
        Path::new(MODULE).exists(),
        "the PKCS#11 tests need SoftHSM2 ({MODULE}): install the Debian package `softhsm2` \
         (apt-get install -y softhsm2)"
    );
    let dir = TempDir::new();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).expect("token directory");
    for (name, mechanisms) in [
        ("full", "ALL"),
        ("restricted", "CKM_ECDSA,CKM_EC_KEY_PAIR_GEN"),
    ] {
        std::fs::write(
            dir.path().join(format!("{name}.conf")),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
                 slots.removable = false\nslots.mechanisms = {mechanisms}\n",
                tokens.display()
            ),
        )
        .expect("write softhsm2.conf");
    }
    for label in TOKENS {
        let output = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", dir.path().join("full.conf"))
            .args(["--init-token", "--free", "--label", label])
            .args(["--so-pin", SO_PIN, "--pin", USER_PIN])
            .stdin(Stdio::null())
            .output()
            .expect("run softhsm2-util (Debian package `softhsm2`)");
        assert!(
            output.status.success(),
            "softhsm2-util --init-token {label}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(dir.path().join("pin"), format!("{USER_PIN}\n")).expect("pin file");
    dir
}

fn spawn(dir: &TempDir, which: Child) -> ChildRun {
    let mut command = Command::new(std::env::current_exe().expect("test binary path"));
    command
        .env(
            "SOFTHSM2_CONF",
            dir.path().join(format!("{}.conf", which.name())),
        )
        .env(CHILD_ENV, which.name())
        .env(DIR_ENV, dir.path())
        .env(PIN_ENV, USER_PIN)
        .args(["--test-threads", "4"])
        .stdin(Stdio::null());
    if which == Child::Restricted {
        command.arg("restricted::");
    }
    let output = command.output().expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let passed = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... ok"))
        .map(str::to_owned)
        .collect();
    ChildRun {
        passed,
        output: format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr)),
    }
}

/// A fresh temporary directory, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "pkcs11-signer-tests-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("temp directory");
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
