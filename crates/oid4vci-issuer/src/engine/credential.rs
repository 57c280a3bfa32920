//! `POST /credential`: access token, request checks, proofs against the `c_nonce`, then one
//! credential per proof key, each with its own random status list index.

use jose_core::{PublicJwk, UnixTime};
use oid4vci_types::{
    CredentialErrorCode, CredentialRequest, CredentialResponse, CredentialTarget, DeferredIssuance,
    IssuedCredential as ResponseCredential, IssuedCredentials, OAuthError, ParseOptions, Proofs,
};
use status_list::{StatusIndex, StatusListReference};

use super::{Authorized, IssuerEngine, store_failure};
use crate::mint::{MintError, MintInput};
use crate::settings::CredentialProfile;
use crate::{AccessGrant, EndpointRequest, EndpointResponse, IssuedCredential};

/// The path of the credential endpoint.
pub(crate) const CREDENTIAL_PATH: &str = "/credential";
/// The path under which status lists are served: `{issuer}/status-lists/{id}`, the URI SD-JWT
/// VCs name (its default form is the JWT).
pub const STATUS_LIST_PATH: &str = "/status-lists";
/// What an mdoc's status list URI adds to [`STATUS_LIST_PATH`]`/{id}`: the same list, whose
/// default form (no `Accept`) is the CWT. Token Status List §8.1 lets a relying party that
/// sends no `Accept` take the form as known from its ecosystem, and an ISO 18013-5 reader
/// expects the CWT where the JWT VC ecosystem expects the JWT.
pub const STATUS_LIST_CWT_SUFFIX: &str = "/cwt";

fn bad(code: CredentialErrorCode, description: &str) -> OAuthError {
    OAuthError::from_code(code, description)
}

/// 400 `invalid_encryption_parameters`: the request asks for an encrypted response, and this
/// issuer offers no `credential_response_encryption` (OpenID4VCI 1.0 §8.2, §8.3.1.2).
/// Answering in plaintext would hand out a credential the wallet asked to protect.
pub(super) fn encryption_not_offered() -> OAuthError {
    bad(
        CredentialErrorCode::InvalidEncryptionParameters,
        "credential_response_encryption was requested, but this issuer offers no response encryption",
    )
}

impl IssuerEngine {
    /// `POST /credential` (OpenID4VCI 1.0 §8).
    ///
    /// # Errors
    /// The exact answer: the access token errors of [`Self::authorize`] (401 with a
    /// challenge), `invalid_credential_request` (not JSON, malformed, a configuration id
    /// where identifiers were issued), `invalid_encryption_parameters`,
    /// `unknown_credential_identifier`, `unknown_credential_configuration`,
    /// `insufficient_scope` (403), `invalid_proof` (also malformed or too many `proofs`),
    /// `invalid_nonce`,
    /// `credential_request_denied`, `server_error`.
    pub fn credential(
        &self,
        request: &EndpointRequest<'_>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let authorized = self.authorize(request, CREDENTIAL_PATH, now)?;
        let grant = authorized.grant();
        let body = self.request_body(request)?;
        // The parser's error names its code: malformed `proofs` are `invalid_proof`, malformed
        // encryption parameters `invalid_encryption_parameters`, the rest
        // `invalid_credential_request`.
        let mut warnings = Vec::new();
        let parsed = self.parse_credential_request(body.bytes(), &mut warnings)?;
        let sealer = self.response_encrypter(
            parsed.credential_response_encryption.as_ref(),
            body.encrypted(),
        )?;
        let id = requested_configuration(grant, &parsed.target, |id| self.profile(id).is_some())
            .or_else(|refused| {
                self.draft_configuration(grant, &parsed.target, refused, &mut warnings)
            })?;
        let profile = self
            .profile(&id)
            .ok_or_else(|| unknown_configuration(&id))?;
        if !grant.configuration_ids.contains(&id) {
            return Err(bad(
                CredentialErrorCode::InsufficientScope,
                &format!("the access token does not cover {id}"),
            )
            .with_challenge(authorized.scheme()));
        }
        let holder_keys = self.holder_keys(grant, profile, parsed.proofs.as_ref(), now)?;
        // One snapshot of the signing keys for the whole request (a rotation meanwhile does
        // not split a batch between two keys).
        let signing_keys = self.keys();
        let credentials = self.mint(&signing_keys, &authorized, profile, holder_keys, now)?;
        let answer = if profile.deferred {
            let transaction_id = self.handle()?;
            let interval = self.settings.deferred_interval_seconds;
            self.stores
                .deferred
                .insert(
                    authorized.grant_id(),
                    transaction_id.clone(),
                    credentials,
                    now.saturating_add(interval),
                    now.saturating_add(self.settings.refresh_token_ttl_seconds),
                    now,
                )
                .map_err(store_failure)?;
            let pending = DeferredIssuance::new(&transaction_id, interval.max(1));
            EndpointResponse::json(202, CredentialResponse::Deferred(pending).to_value())
        } else {
            self.issued(&authorized, credentials, now)?
        };
        let mut response = self.seal(answer, sealer.as_ref())?;
        response.warnings.extend(warnings);
        Ok(response)
    }

    /// The credential request of `body`. With
    /// [`draft_credential_requests`](crate::IssuerSettings::draft_credential_requests), a
    /// request refused only for the pre-1.0 `proof` member is read again with it, and a
    /// warning says so.
    fn parse_credential_request(
        &self,
        body: &[u8],
        warnings: &mut Vec<String>,
    ) -> Result<CredentialRequest, OAuthError> {
        let refused = |e: oid4vci_types::Error| bad(e.credential_error_code(), &e.to_string());
        match CredentialRequest::parse(body, &ParseOptions::default()) {
            Err(oid4vci_types::Error::Draft13Shape {
                member: "proof", ..
            }) if self.settings.draft_credential_requests => {
                let parsed = CredentialRequest::parse(body, &ParseOptions::draft13_compatible())
                    .map_err(refused)?;
                warnings.push(
                    "credential request with the pre-1.0 member proof, read as proofs".to_owned(),
                );
                Ok(parsed)
            }
            other => other.map_err(refused),
        }
    }

    /// With [`draft_credential_requests`](crate::IssuerSettings::draft_credential_requests),
    /// a `credential_configuration_id` where the token response issued
    /// `credential_identifiers` is read as the one identifier issued for that configuration
    /// (a warning says so); otherwise, and when it has none or several, `refused` stands.
    fn draft_configuration(
        &self,
        grant: &AccessGrant,
        target: &CredentialTarget,
        refused: OAuthError,
        warnings: &mut Vec<String>,
    ) -> Result<String, OAuthError> {
        let CredentialTarget::ConfigurationId(id) = target else {
            return Err(refused);
        };
        let issued = grant
            .credential_identifiers
            .iter()
            .filter(|(configuration, _)| configuration == id)
            .count();
        if !self.settings.draft_credential_requests || issued != 1 {
            return Err(refused);
        }
        warnings.push(format!(
            "credential request by credential_configuration_id {id} where a \
             credential_identifier was issued (pre-1.0 shape), read as that identifier"
        ));
        Ok(id.clone())
    }

    /// The 200 answer for `credentials` (moved into the body, not copied: a batch is some
    /// kilobytes per credential), with a `notification_id` registered under the grant.
    pub(super) fn issued(
        &self,
        authorized: &Authorized,
        credentials: Vec<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let notification_id = self.handle()?;
        self.stores
            .notifications
            .register(
                authorized.grant_id(),
                notification_id.clone(),
                Vec::new(),
                now.saturating_add(self.settings.refresh_token_ttl_seconds),
                now,
            )
            .map_err(store_failure)?;
        let mut issued = IssuedCredentials::new(
            credentials
                .into_iter()
                .map(ResponseCredential::from)
                .collect(),
        );
        issued.notification_id = Some(notification_id);
        Ok(EndpointResponse::json(
            200,
            CredentialResponse::Issued(issued).into_value(),
        ))
    }

    /// The holder keys of the request's proofs: `jwt` proofs, at most `batch_size`, each
    /// verified against a `c_nonce` (with its key attestation), one credential per distinct
    /// key; or one `attestation` proof, one credential per attested key.
    fn holder_keys(
        &self,
        grant: &AccessGrant,
        profile: &CredentialProfile,
        proofs: Option<&Proofs>,
        now: UnixTime,
    ) -> Result<Vec<PublicJwk>, OAuthError> {
        let required = profile.key_attestation.as_ref();
        let proofs = match proofs {
            Some(Proofs::Jwt(proofs)) => proofs,
            // The `attestation` proof type belongs to configurations that require key
            // attestation (the only ones whose `proof_types_supported` lists it).
            Some(Proofs::Attestation(_)) if required.is_none() => {
                return Err(bad(
                    CredentialErrorCode::InvalidProof,
                    "this credential configuration takes jwt proofs only",
                ));
            }
            Some(Proofs::Attestation(attestations)) => {
                return super::proofs::attestation_proof(self, attestations, required, now);
            }
            Some(_) => {
                return Err(bad(
                    CredentialErrorCode::InvalidProof,
                    "only jwt and attestation proofs are supported",
                ));
            }
            None => {
                return Err(bad(
                    CredentialErrorCode::InvalidProof,
                    "proofs are required",
                ));
            }
        };
        if proofs.len() > self.settings.batch_size {
            // The `proofs` parameter is invalid (§8.3.1.2), as for an `attestation` proof.
            return Err(bad(
                CredentialErrorCode::InvalidProof,
                &format!("at most {} proofs per request", self.settings.batch_size),
            ));
        }
        let keys =
            super::proofs::key_proofs(self, proofs, grant.client_id.as_deref(), required, now)?;
        let repeated = keys
            .iter()
            .enumerate()
            .any(|(at, key)| keys.iter().take(at).any(|earlier| earlier.same_key(key)));
        if repeated {
            return Err(bad(
                CredentialErrorCode::InvalidProof,
                "two proofs for the same key: one credential per key",
            ));
        }
        Ok(keys)
    }

    /// Signs one credential of `profile` for each of `holders`, each with a fresh status
    /// index, and records them; a credential that cannot be recorded could never be revoked,
    /// so none is handed out then. The batch takes one allocation, one registry write and one
    /// audit call (a durable store makes each one transaction), whatever its size.
    fn mint(
        &self,
        keys: &crate::IssuerKeys,
        authorized: &Authorized,
        profile: &CredentialProfile,
        holders: Vec<PublicJwk>,
        now: UnixTime,
    ) -> Result<Vec<String>, OAuthError> {
        let slots = self
            .stores
            .status
            .allocate_many(self.rng.as_ref(), holders.len())
            .map_err(store_failure)?;
        if slots.len() != holders.len() {
            return Err(OAuthError::server_error().with_internal_detail(
                "the status store allocated a wrong number of indices".into(),
            ));
        }
        let mut credentials = Vec::with_capacity(holders.len());
        let mut records = Vec::with_capacity(holders.len());
        let mut events = Vec::with_capacity(holders.len());
        for (holder, slot) in holders.into_iter().zip(slots) {
            let (credential, record, event) =
                self.mint_one(keys, authorized, profile, holder, slot, now)?;
            credentials.push(credential);
            records.push(record);
            events.push(event);
        }
        self.stores
            .registry
            .record_all(records)
            .map_err(store_failure)?;
        self.record_all(&events, now);
        Ok(credentials)
    }

    /// Signs one credential of `profile` for `holder` at status entry `slot` (list id, index):
    /// the credential, its registry record and its audit event.
    fn mint_one(
        &self,
        keys: &crate::IssuerKeys,
        authorized: &Authorized,
        profile: &CredentialProfile,
        holder: PublicJwk,
        (list_id, idx): (String, u64),
        now: UnixTime,
    ) -> Result<(String, IssuedCredential, crate::AuditEvent), OAuthError> {
        let suffix = match profile.format {
            crate::CredentialFormat::Mdoc { .. } => STATUS_LIST_CWT_SUFFIX,
            _ => "",
        };
        let uri = self
            .settings
            .url(&format!("{STATUS_LIST_PATH}/{list_id}{suffix}"));
        let credential = crate::mint::mint(
            keys,
            self.rng.as_ref(),
            MintInput {
                issuer: &self.settings.credential_issuer,
                format: &profile.format,
                claims: authorized.grant().claims.for_configuration(&profile.id),
                holder,
                status: StatusListReference::new(StatusIndex::new(idx), uri.as_str()),
                now,
                ttl_seconds: self.settings.credential_ttl_seconds,
            },
        )
        .map_err(|e| match e {
            MintError::Claims(reason) => bad(
                CredentialErrorCode::CredentialRequestDenied,
                &format!("the credential could not be built: {reason}"),
            ),
            MintError::Signing(reason) => OAuthError::server_error().with_internal_detail(reason),
        })?;
        let event = crate::AuditEvent::CredentialIssued {
            grant: self.grant_pseudonym(authorized.grant_id()),
            client_id: authorized.grant().client_id.clone(),
            configuration_id: profile.id.clone(),
            format: profile.format.format_id(),
            status_list_id: list_id.clone(),
            status_index: idx,
            key_id: signing_key_id(keys, &profile.format),
            deferred: profile.deferred,
        };
        let record = IssuedCredential::new(
            self.handle()?,
            authorized.grant_id().clone(),
            profile.id.clone(),
            list_id,
            uri,
            idx,
            now,
        );
        Ok((credential, record, event))
    }
}

/// The audit name of the key that signs `format`: its `kid`, else `x5t#S256:` and the
/// base64url SHA-256 of its certificate.
fn signing_key_id(keys: &crate::IssuerKeys, format: &crate::CredentialFormat) -> Option<String> {
    let key = match format {
        crate::CredentialFormat::Mdoc { .. } => keys.mdoc.as_ref()?,
        crate::CredentialFormat::SdJwtVc { .. } => &keys.credential,
    };
    if let Some(kid) = key.kid() {
        return Some(kid.to_owned());
    }
    let certificate = key.chain().first()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, certificate);
    Some(format!(
        "x5t#S256:{}",
        jose_core::base64url::encode(digest.as_ref())
    ))
}

/// `unknown_credential_configuration` for `id` (OpenID4VCI 1.0 §8.3.1.2).
fn unknown_configuration(id: &str) -> OAuthError {
    bad(
        CredentialErrorCode::UnknownCredentialConfiguration,
        &format!("no credential configuration {id}"),
    )
}

/// The credential configuration a request asks for, resolved within `grant`: a
/// `credential_identifier` must be one the token response handed out for this grant
/// (OpenID4VCI 1.0 §8.2); once identifiers were handed out, a bare
/// `credential_configuration_id` is refused, as `unknown_credential_configuration` when the
/// issuer has no such configuration (`known` says which it has) and
/// `invalid_credential_request` when it has.
fn requested_configuration(
    grant: &AccessGrant,
    target: &CredentialTarget,
    known: impl Fn(&str) -> bool,
) -> Result<String, OAuthError> {
    match target {
        CredentialTarget::Identifier(identifier) => grant
            .configuration_of_identifier(identifier)
            .map(str::to_owned)
            .ok_or_else(|| {
                bad(
                    CredentialErrorCode::UnknownCredentialIdentifier,
                    "the credential_identifier was not issued for this access token",
                )
            }),
        CredentialTarget::ConfigurationId(id) if grant.credential_identifiers.is_empty() => {
            Ok(id.clone())
        }
        CredentialTarget::ConfigurationId(id) if !known(id) => Err(unknown_configuration(id)),
        CredentialTarget::ConfigurationId(_) => Err(bad(
            CredentialErrorCode::InvalidCredentialRequest,
            "the token response issued credential_identifiers: request by credential_identifier",
        )),
        _ => Err(bad(
            CredentialErrorCode::InvalidCredentialRequest,
            "credential_identifier or credential_configuration_id is required",
        )),
    }
}
