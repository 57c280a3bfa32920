//! The audit seam: the security-relevant events the engine sees, as typed values handed to an
//! [`AuditSink`] (the German EAA guide §2.1, §5.3: an issuer keeps a trail of issuance,
//! revocation, replays and relaxed checks).
//!
//! See [`AuditSink`] for what events carry and why recording cannot fail.

use core::fmt;
use std::sync::Arc;

use jose_core::UnixTime;
use pop_verifier::{ReplayError, ReplayGuard};
use serde_json::{Map, Value};
use status_list::Status;

/// Receives the engine's audit events. Implementations must be cheap or hand the event on
/// (a channel, a buffered writer): the engine calls `record` inline, while answering.
///
/// # What an event carries
/// Never a claim value, a token, a code, a `jti` or a key: only
/// - **pseudonyms** ([`Pseudonym`]) for the engine's internal handles: a grant, a
///   pre-authorized code. A pseudonym is an HMAC-SHA-256 of the handle under a key derived from
///   the engine's nonce secret, truncated to 128 bits and base64url-encoded. Every instance of a
///   fleet shares the nonce secret, so they give one grant the same pseudonym and a trail can
///   follow a grant across instances; without the secret a pseudonym cannot be turned back into
///   a handle (the handles are 256-bit random values anyway) nor linked to one. Rotating the
///   nonce secret starts new pseudonyms.
/// - **`client_id`s**: public identifiers (OAuth 2.0 client ids are not secrets; an attested
///   wallet's `client_id` names the wallet *solution*, not a user), kept in clear so an
///   operator can tell which wallet misbehaved.
/// - **configuration ids, formats, status list ids and indices, key ids**: issuer-side
///   identifiers. A status list index is what a revocation needs; it names a credential but no
///   holder.
///
/// # Why recording cannot fail
/// [`AuditSink::record`] returns nothing. The engine records an event *after* the fact it
/// reports happened: a credential was signed and registered, a grant revoked, a replay refused.
/// Turning a sink failure into an error at that point would not undo the fact; it would only
/// answer a client `server_error` for a credential that exists (and can be revoked), or hide a
/// refusal behind a different error. So a sink owns its failures: it retries, buffers, logs, or
/// raises an alarm; a deployment that must stop issuing without an audit trail watches the
/// sink's health (e.g. its failure counter) and takes the issuer out of rotation.
pub trait AuditSink: Send + Sync {
    /// Records `event`, which happened at `now`. Infallible from the engine's point of view
    /// (see [above](AuditSink) for why): a sink that cannot keep the
    /// event reports that through its own channel.
    fn record(&self, event: &AuditEvent, now: UnixTime);

    /// Records `events`, in their order, all at `now` (one request's batch, such as a
    /// credential per key proof). The provided method records them one by one; a sink that
    /// can keep them in one write (one transaction) should.
    fn record_all(&self, events: &[AuditEvent], now: UnixTime) {
        for event in events {
            self.record(event, now);
        }
    }
}

/// The default sink: drops every event.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _event: &AuditEvent, _now: UnixTime) {}
}

/// A pseudonymous identifier of an internal handle (a grant, a pre-authorized code): 128 bits
/// of a keyed HMAC-SHA-256, base64url (22 characters). See [`AuditSink`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(String);

impl Pseudonym {
    /// The pseudonym's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pseudonym").field(&self.0).finish()
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes [`Pseudonym`]s: HMAC-SHA-256 under a key derived from the nonce secret.
pub(crate) struct Pseudonymizer {
    key: ring::hmac::Key,
}

/// The label the pseudonym key is derived under (domain separation from the nonce key).
const PSEUDONYM_KEY_LABEL: &[u8] = b"oid4vci-issuer audit pseudonyms v1";

/// How many bytes of the HMAC a pseudonym keeps: 128 bits, collision-free for any realistic
/// number of grants.
const PSEUDONYM_LEN: usize = 16;

impl Pseudonymizer {
    /// The pseudonymizer of an engine with `secret` as its nonce secret.
    pub(crate) fn new(secret: &[u8]) -> Self {
        let master = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        let derived = ring::hmac::sign(&master, PSEUDONYM_KEY_LABEL);
        Self {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// The pseudonym of `handle` in `domain` (`grant`, `pre-authorized-code`): the same handle
    /// in two domains gets two unrelated pseudonyms.
    pub(crate) fn pseudonym(&self, domain: &str, handle: &str) -> Pseudonym {
        let mut context = ring::hmac::Context::with_key(&self.key);
        context.update(domain.as_bytes());
        context.update(&[0]);
        context.update(handle.as_bytes());
        let tag = context.sign();
        let bytes = tag.as_ref().get(..PSEUDONYM_LEN).unwrap_or(tag.as_ref());
        Pseudonym(jose_core::base64url::encode(bytes))
    }
}

/// Which single-use proof a replay was caught on, named by its replay-guard namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofKind {
    /// An OAuth-Client-Attestation-PoP JWT (ABCA).
    ClientAttestationPop,
    /// A `private_key_jwt` client assertion (RFC 7523).
    ClientAssertion,
    /// A DPoP proof (RFC 9449).
    Dpop,
    /// A key attestation used as the `attestation` proof (OpenID4VCI 1.0 App. F.3).
    KeyAttestation,
    /// An OpenID4VCI key proof (`openid4vci-proof+jwt`).
    KeyProof,
    /// A proof of another kind (a namespace this version does not know).
    Other,
}

impl ProofKind {
    /// The kind of the replay-guard key `key` (from its namespace, the text before the first
    /// `|`; see [`pop_verifier::replay_key`]).
    #[must_use]
    pub fn of_replay_key(key: &str) -> Self {
        match key.split_once('|').map_or(key, |(namespace, _)| namespace) {
            "abca-pop" => Self::ClientAttestationPop,
            "client-assertion" => Self::ClientAssertion,
            "dpop" => Self::Dpop,
            "key-attestation" => Self::KeyAttestation,
            "openid4vci-proof" => Self::KeyProof,
            _ => Self::Other,
        }
    }

    /// The kind as a stable lowercase name (`dpop`, `key_proof`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientAttestationPop => "client_attestation_pop",
            Self::ClientAssertion => "client_assertion",
            Self::Dpop => "dpop",
            Self::KeyAttestation => "key_attestation",
            Self::KeyProof => "key_proof",
            Self::Other => "other",
        }
    }
}

/// What happened to a signing key ([`AuditEvent::KeyChanged`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyChange {
    /// A new key was generated or imported.
    Created,
    /// The key stopped signing (it may still verify what it signed).
    Retired,
    /// The key replaced the previous one for its purpose.
    Rotated,
}

impl KeyChange {
    /// The change as a stable lowercase name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Retired => "retired",
            Self::Rotated => "rotated",
        }
    }
}

/// Why a grant's refresh token family was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationCause {
    /// Its authorization code was presented a second time (RFC 6749 §4.1.2).
    AuthorizationCodeReused,
    /// A rotated refresh token was presented again (RFC 9700 §4.14.2).
    RefreshTokenReused,
}

impl RevocationCause {
    /// The cause as a stable lowercase name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCodeReused => "authorization_code_reused",
            Self::RefreshTokenReused => "refresh_token_reused",
        }
    }
}

/// A security-relevant event. See [`AuditSink`] for what the identifiers are; no variant carries a claim value, a token, a code, a `jti` or a key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditEvent {
    /// An authorization code was redeemed at the token endpoint: a grant started.
    #[non_exhaustive]
    AuthorizationCodeRedeemed {
        /// The new grant.
        grant: Pseudonym,
        /// The client it was issued to.
        client_id: Option<String>,
        /// The granted credential configurations.
        configuration_ids: Vec<String>,
    },
    /// A credential was signed and registered (for a deferred profile: signed and stored
    /// until the wallet collects it).
    #[non_exhaustive]
    CredentialIssued {
        /// The grant it was issued under.
        grant: Pseudonym,
        /// The client of the grant, if known.
        client_id: Option<String>,
        /// The credential configuration.
        configuration_id: String,
        /// Its format (`dc+sd-jwt`, `mso_mdoc`).
        format: &'static str,
        /// The status list it has an entry in.
        status_list_id: String,
        /// Its index in that list.
        status_index: u64,
        /// The signing key: its `kid`, else `x5t#S256:` and the base64url SHA-256 of its
        /// certificate, else `None`.
        key_id: Option<String>,
        /// Whether it waits for the deferred credential endpoint.
        deferred: bool,
    },
    /// A credential's status list entry was changed through
    /// [`crate::IssuerEngine::set_credential_status`] (a revocation or suspension).
    #[non_exhaustive]
    CredentialStatusChanged {
        /// Who asked, as the caller named them (an operator, an admin client).
        actor: String,
        /// The credential's id in the registry.
        credential_id: String,
        /// The status list.
        status_list_id: String,
        /// The entry's index.
        status_index: u64,
        /// The new status.
        status: Status,
    },
    /// A signing key was created, rotated or retired. The engine's keys are fixed when it is
    /// built, so the deployment that manages keys records these, with
    /// [`AuditEvent::key_changed`], to the same sink.
    #[non_exhaustive]
    KeyChanged {
        /// The key: its `kid` or certificate thumbprint, never key material.
        key_id: String,
        /// What it signs (`credential`, `mdoc`, `status_list`, ...).
        purpose: String,
        /// What happened.
        change: KeyChange,
    },
    /// A lenient mode accepted a client without a valid client authentication.
    #[non_exhaustive]
    LenientAcceptance {
        /// The client id the request named or the authenticator found, if any.
        client_id: Option<String>,
        /// The client authenticator's reason (e.g. `no client attestation presented`).
        reason: String,
    },
    /// A pre-authorized code was redeemed at the token endpoint: a grant started.
    #[non_exhaustive]
    PreAuthorizedCodeRedeemed {
        /// The new grant.
        grant: Pseudonym,
        /// The authenticated client, if any.
        client_id: Option<String>,
        /// The granted credential configurations.
        configuration_ids: Vec<String>,
    },
    /// A grant's refresh token family (and its access tokens) was revoked.
    #[non_exhaustive]
    RefreshFamilyRevoked {
        /// The revoked grant.
        grant: Pseudonym,
        /// Why.
        cause: RevocationCause,
    },
    /// A refresh token was used: a new access token for an existing grant (the refresh token
    /// rotated, or kept when it is sender-constrained).
    #[non_exhaustive]
    RefreshTokenUsed {
        /// The grant.
        grant: Pseudonym,
        /// The grant's client, if known.
        client_id: Option<String>,
    },
    /// A single-use proof was presented a second time and refused. For key proofs this is
    /// also a new proof over a c_nonce an earlier request spent (the replay guard refuses the
    /// batch and cannot tell which of its keys it had seen); the same proof twice in one
    /// request is refused before the guard is asked and not recorded.
    #[non_exhaustive]
    ReplayDetected {
        /// Which kind of proof.
        proof: ProofKind,
    },
    /// A pre-authorized code was burnt by its last allowed wrong `tx_code`.
    #[non_exhaustive]
    TxCodeLockout {
        /// The burnt code.
        code: Pseudonym,
    },
}

impl AuditEvent {
    /// A [`AuditEvent::KeyChanged`] event, for the deployment that manages the keys.
    #[must_use]
    pub fn key_changed(key_id: &str, purpose: &str, change: KeyChange) -> Self {
        Self::KeyChanged {
            key_id: key_id.to_owned(),
            purpose: purpose.to_owned(),
            change,
        }
    }

    /// The event's kind as a stable snake_case name (`credential_issued`, `replay_detected`,
    /// ...): a column, a log field, a metric label.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::AuthorizationCodeRedeemed { .. } => "authorization_code_redeemed",
            Self::CredentialIssued { .. } => "credential_issued",
            Self::CredentialStatusChanged { .. } => "credential_status_changed",
            Self::KeyChanged { .. } => "key_changed",
            Self::LenientAcceptance { .. } => "lenient_acceptance",
            Self::PreAuthorizedCodeRedeemed { .. } => "pre_authorized_code_redeemed",
            Self::RefreshFamilyRevoked { .. } => "refresh_family_revoked",
            Self::RefreshTokenUsed { .. } => "refresh_token_used",
            Self::ReplayDetected { .. } => "replay_detected",
            Self::TxCodeLockout { .. } => "tx_code_lockout",
        }
    }

    /// The event's fields as a JSON object (without the kind), for a log line or a store row.
    #[must_use]
    pub fn details(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let mut put = |name: &str, value: Value| {
            out.insert(name.to_owned(), value);
        };
        let text = |s: &str| Value::String(s.to_owned());
        let optional = |s: Option<&String>| s.map_or(Value::Null, |s| text(s));
        let list = |ids: &[String]| Value::Array(ids.iter().map(|s| text(s)).collect());
        match self {
            Self::AuthorizationCodeRedeemed {
                grant,
                client_id,
                configuration_ids,
            }
            | Self::PreAuthorizedCodeRedeemed {
                grant,
                client_id,
                configuration_ids,
            } => {
                put("grant", text(grant.as_str()));
                put("client_id", optional(client_id.as_ref()));
                put("credential_configuration_ids", list(configuration_ids));
            }
            Self::CredentialIssued {
                grant,
                client_id,
                configuration_id,
                format,
                status_list_id,
                status_index,
                key_id,
                deferred,
            } => {
                put("grant", text(grant.as_str()));
                put("client_id", optional(client_id.as_ref()));
                put("credential_configuration_id", text(configuration_id));
                put("format", text(format));
                put("status_list_id", text(status_list_id));
                put("status_index", Value::from(*status_index));
                put("key_id", optional(key_id.as_ref()));
                put("deferred", Value::Bool(*deferred));
            }
            Self::CredentialStatusChanged {
                actor,
                credential_id,
                status_list_id,
                status_index,
                status,
            } => {
                put("actor", text(actor));
                put("credential_id", text(credential_id));
                put("status_list_id", text(status_list_id));
                put("status_index", Value::from(*status_index));
                put("status", Value::String(status.to_string()));
            }
            Self::KeyChanged {
                key_id,
                purpose,
                change,
            } => {
                put("key_id", text(key_id));
                put("purpose", text(purpose));
                put("change", text(change.as_str()));
            }
            Self::LenientAcceptance { client_id, reason } => {
                put("client_id", optional(client_id.as_ref()));
                put("reason", text(reason));
            }
            Self::RefreshFamilyRevoked { grant, cause } => {
                put("grant", text(grant.as_str()));
                put("cause", text(cause.as_str()));
            }
            Self::RefreshTokenUsed { grant, client_id } => {
                put("grant", text(grant.as_str()));
                put("client_id", optional(client_id.as_ref()));
            }
            Self::ReplayDetected { proof } => put("proof", text(proof.as_str())),
            Self::TxCodeLockout { code } => put("code", text(code.as_str())),
        }
        out
    }
}

/// The engine's replay guard, wrapped: a refused replay is also an
/// [`AuditEvent::ReplayDetected`], whichever verifier (the engine's proofs, a client
/// authenticator) asked. The key itself is never handed to the sink.
pub(crate) struct AuditedReplayGuard {
    pub(crate) inner: Arc<dyn ReplayGuard>,
    pub(crate) sink: Arc<dyn AuditSink>,
}

impl ReplayGuard for AuditedReplayGuard {
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        let result = self.inner.check_and_record(key, expires_at, now);
        self.audit_replay(&result, key, now);
        result
    }

    /// The inner guard's batch (all or none where it can), audited as one refusal: the
    /// batch's proofs are of one kind.
    fn check_and_record_all(
        &self,
        entries: &[(&str, UnixTime)],
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        let result = self.inner.check_and_record_all(entries, now);
        if let Some(&(key, _)) = entries.first() {
            self.audit_replay(&result, key, now);
        }
        result
    }
}

impl AuditedReplayGuard {
    /// A [`ReplayError::Replayed`] refusal of `key` as an [`AuditEvent::ReplayDetected`].
    fn audit_replay(&self, result: &Result<(), ReplayError>, key: &str, now: UnixTime) {
        if matches!(result, Err(ReplayError::Replayed)) {
            let event = AuditEvent::ReplayDetected {
                proof: ProofKind::of_replay_key(key),
            };
            self.sink.record(&event, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_stable_and_domain_separated() {
        let a = Pseudonymizer::new(&[1; 32]);
        let b = Pseudonymizer::new(&[2; 32]);
        let p = a.pseudonym("grant", "handle");
        assert_eq!(p, a.pseudonym("grant", "handle"));
        assert_eq!(p.as_str().len(), 22);
        assert!(!p.as_str().contains("handle"));
        assert_ne!(p, b.pseudonym("grant", "handle"));
        assert_ne!(p, a.pseudonym("pre-authorized-code", "handle"));
        assert_ne!(p, a.pseudonym("grant", "handle2"));
    }

    #[test]
    fn proof_kinds_come_from_the_replay_namespace() {
        let key = pop_verifier::replay_key("dpop", "jkt", "jti");
        assert_eq!(ProofKind::of_replay_key(&key), ProofKind::Dpop);
        assert_eq!(
            ProofKind::of_replay_key("abca-pop|1:c|j"),
            ProofKind::ClientAttestationPop
        );
        assert_eq!(
            ProofKind::of_replay_key("openid4vci-proof|6:sha256|x"),
            ProofKind::KeyProof
        );
        assert_eq!(
            ProofKind::of_replay_key("key-attestation|6:sha256|x"),
            ProofKind::KeyAttestation
        );
        assert_eq!(ProofKind::of_replay_key("whatever"), ProofKind::Other);
    }

    #[test]
    fn a_key_change_names_the_key_and_what_happened() {
        let event = AuditEvent::key_changed("kid-1", "credential", KeyChange::Rotated);
        assert_eq!(event.kind(), "key_changed");
        assert_eq!(
            Value::Object(event.details()),
            serde_json::json!({"key_id": "kid-1", "purpose": "credential", "change": "rotated"})
        );
    }

    #[test]
    fn details_carry_no_unlisted_field() {
        let event = AuditEvent::ReplayDetected {
            proof: ProofKind::KeyProof,
        };
        assert_eq!(event.kind(), "replay_detected");
        let details = event.details();
        assert_eq!(details.len(), 1);
        assert_eq!(details.get("proof"), Some(&Value::from("key_proof")));
    }
}
