//! The AS metadata fragment for attestation-based client authentication (ABCA -10 §8, §13).

use serde_json::{Map, Value};

use crate::verify::ClientAttestationVerifier;

impl ClientAttestationVerifier {
    /// The members this verifier contributes to the AS metadata (RFC 8414), to be merged into
    /// the rest of it:
    ///
    /// * `token_endpoint_auth_methods_supported`: `attest_jwt_client_auth`, plus
    ///   `attest_jwt_client_auth_dpop` in combined mode, plus `private_key_jwt`,
    ///   `client_secret_basic` and `client_secret_post` for enabled fallbacks, plus `none` in
    ///   lenient mode (an unauthenticated client is accepted; RFC 8414 §2);
    /// * `client_attestation_signing_alg_values_supported` and
    ///   `client_attestation_pop_signing_alg_values_supported` (-07+);
    /// * `client_attestation_pop_methods_supported` (-10): `attestation_pop_jwt`, plus
    ///   `dpop_combined` in combined mode, plus `none` in lenient mode;
    /// * `dpop_signing_alg_values_supported` in combined mode;
    /// * `token_endpoint_auth_signing_alg_values_supported` when `private_key_jwt` is enabled;
    /// * `challenge_endpoint` when `challenge_endpoint` is given.
    ///
    /// ```
    /// use attestation_jwt::{ClientAttestationConfig, ClientAttestationVerifier, VerificationMethod};
    /// let config = ClientAttestationConfig::new(VerificationMethod::KmsKey {
    ///     key_reference: "k".into(), additional_key_references: Vec::new() });
    /// # let attester = jose_core::LocalSigner::generate(
    /// #     jose_core::Algorithm::Es256, &jose_core::SystemRandom::new())?;
    /// # let public = attester.public_jwk();
    /// # let kms = std::sync::Arc::new(jose_core::keys::StaticKeys::from(public));
    /// # let now = jose_core::UnixTime::from_secs(1_700_000_000);
    /// let verifier = ClientAttestationVerifier::builder(config, "https://as.example.com")
    ///     .with_key_lookup(kms, now)
    ///     .with_attestation_algorithms(&[jose_core::Algorithm::Es256])
    ///     .with_pop_algorithms(&[jose_core::Algorithm::Es256])
    ///     .build()?;
    /// let metadata = verifier.metadata(Some("https://as.example.com/challenge"));
    /// assert_eq!(serde_json::Value::Object(metadata), serde_json::json!({
    ///     "token_endpoint_auth_methods_supported": ["attest_jwt_client_auth"],
    ///     "client_attestation_signing_alg_values_supported": ["ES256"],
    ///     "client_attestation_pop_signing_alg_values_supported": ["ES256"],
    ///     "client_attestation_pop_methods_supported": ["attestation_pop_jwt"],
    ///     "challenge_endpoint": "https://as.example.com/challenge"
    /// }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn metadata(&self, challenge_endpoint: Option<&str>) -> Map<String, Value> {
        let mut methods = vec!["attest_jwt_client_auth"];
        let mut pop_methods = vec!["attestation_pop_jwt"];
        if self.combined_mode {
            methods.push("attest_jwt_client_auth_dpop");
            pop_methods.push("dpop_combined");
        }
        let fallback = self.fallback.as_ref();
        if fallback.is_some_and(|f| f.private_key_jwt()) {
            methods.push("private_key_jwt");
        }
        if fallback.is_some_and(|f| f.client_secret()) {
            methods.push("client_secret_basic");
            methods.push("client_secret_post");
        }
        if !self.config.required {
            methods.push("none");
            pop_methods.push("none");
        }
        let names = |algs: &[jose_core::Algorithm]| -> Value {
            algs.iter().map(|a| Value::from(a.jose_name())).collect()
        };
        let mut map = Map::new();
        map.insert(
            "token_endpoint_auth_methods_supported".into(),
            methods.into_iter().map(Value::from).collect(),
        );
        map.insert(
            "client_attestation_signing_alg_values_supported".into(),
            names(&self.attestation_algs),
        );
        map.insert(
            "client_attestation_pop_signing_alg_values_supported".into(),
            names(&self.pop_algs),
        );
        map.insert(
            "client_attestation_pop_methods_supported".into(),
            pop_methods.into_iter().map(Value::from).collect(),
        );
        if self.combined_mode {
            map.insert(
                "dpop_signing_alg_values_supported".into(),
                names(&self.pop_algs),
            );
        }
        if fallback.is_some_and(|f| f.private_key_jwt()) {
            map.insert(
                "token_endpoint_auth_signing_alg_values_supported".into(),
                names(&self.attestation_algs),
            );
        }
        if let Some(endpoint) = challenge_endpoint {
            map.insert("challenge_endpoint".into(), endpoint.into());
        }
        map
    }
}
