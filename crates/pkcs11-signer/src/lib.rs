#![doc = include_str!("../README.md")]

mod error;
mod key;
mod module;
mod pin;
mod pool;
mod signer;
mod token;

pub use error::Pkcs11Error;
pub use key::KeyRef;
pub use pin::PinSource;
pub use signer::Pkcs11Signer;
pub use token::{DEFAULT_MAX_SESSIONS, Token, TokenConfig};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_types_are_send_and_sync() {
        assert_send_sync::<Token>();
        assert_send_sync::<Pkcs11Signer>();
        assert_send_sync::<Pkcs11Error>();
    }
}
