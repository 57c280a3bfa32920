//! Parse options: limits and the draft-13 compatibility switch.

use crate::limits::Limits;

/// Options for the parsers of messages that deployed draft-13 wallets still send in the old
/// shape (credential request, credential response, `authorization_details`).
///
/// By default (`accept_draft13: false`) a draft-13 shape is refused with
/// [`Error::Draft13Shape`](crate::Error::Draft13Shape), naming the removed member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Accept the draft-13 shapes and convert them to the 1.0 shape where possible:
    /// `proof` becomes a one-element `proofs`, a singular `credential` becomes `credentials`,
    /// and `format` (+ `vct` / `doctype` / `credential_definition`) in a credential request
    /// becomes [`CredentialTarget::Draft13Format`](crate::CredentialTarget::Draft13Format),
    /// resolved against the metadata by [`validate_credential_request`](crate::validate_credential_request).
    pub accept_draft13: bool,
    /// Input limits.
    pub limits: Limits,
}

impl ParseOptions {
    /// Strict 1.0 parsing with default limits (same as `default()`).
    #[must_use]
    pub fn strict() -> Self {
        Self::default()
    }

    /// Draft-13 shapes accepted and converted, default limits.
    #[must_use]
    pub fn draft13_compatible() -> Self {
        Self {
            accept_draft13: true,
            limits: Limits::default(),
        }
    }

    /// Replaces the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}
