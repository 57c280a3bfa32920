//! pkcs11-signer against a real SoftHSM2 token (Debian package `softhsm2`); see
//! `support/softhsm.rs` for how each test gets its own token and why the tests run in a child
//! process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

#[path = "support/softhsm.rs"]
mod softhsm;

/// A test that runs in a SoftHSM child process (`softhsm_test!(Full fn name() { … })`, or
/// `Restricted` for the configuration without `CKM_EDDSA`).
macro_rules! softhsm_test {
    ($child:ident fn $name:ident() $body:block) => {
        #[test]
        fn $name() {
            $crate::softhsm::run(
                $crate::softhsm::Child::$child,
                concat!(module_path!(), "::", stringify!($name)),
                || $body,
            );
        }
    };
}

#[path = "api/errors.rs"]
mod errors;
#[path = "api/keys.rs"]
mod keys;
#[path = "api/restricted.rs"]
mod restricted;
#[path = "api/signing.rs"]
mod signing;
