//! Fuzzing entry points (built with `--cfg fuzzing`, and for this module's own tests).

use std::sync::{Arc, OnceLock};

use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use serde_json::Map;

use crate::{
    AccessGrant, CredentialFormat, CredentialProfile, EncryptionSettings, EndpointRequest, GrantId,
    IssuerEngine, IssuerKeys, IssuerSettings, RequestDecryptionKey, SigningKey, StoreLimits,
    Stores,
};

/// The fuzzing engine's request-encryption key: RFC 7518 Appendix C's recipient ("Bob"), so
/// seeds can be encrypted to it. Its `kid` is `fuzz-key`.
pub const FUZZ_REQUEST_KEY_SCALAR: &str = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";

/// The access token the fuzzing engine knows: `Authorization: Bearer fuzz-token` reaches
/// the request parsers behind the token check.
pub const FUZZ_ACCESS_TOKEN: &str = "fuzz-token";

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);

fn engine() -> Option<&'static IssuerEngine> {
    static ENGINE: OnceLock<Option<IssuerEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let rng = SystemRandom::new();
            let signer = LocalSigner::generate(Algorithm::Es256, &rng).ok()?;
            let stores = Stores::in_memory(&StoreLimits::default(), 64);
            let grant = AccessGrant::new(
                GrantId::new("fuzz-grant".into()),
                vec!["pid".into()],
                Map::new(),
                "https://issuer.example".into(),
                NOW.saturating_add(3600),
            );
            stores
                .tokens
                .insert(FUZZ_ACCESS_TOKEN.into(), grant, NOW)
                .ok()?;
            let profile = CredentialProfile::new(
                "pid",
                CredentialFormat::SdJwtVc {
                    vct: "urn:example:pid".into(),
                    always_disclosed: Vec::new(),
                },
            );
            let scalar = jose_core::base64url::decode(FUZZ_REQUEST_KEY_SCALAR)?;
            let request_key =
                jose_core::jwe::LocalKeyAgreement::from_scalar(jose_core::EcCurve::P256, &scalar)
                    .ok()?;
            let encryption = EncryptionSettings::new(vec![RequestDecryptionKey::new(
                "fuzz-key",
                Arc::new(request_key),
            )])
            .with_zip(true);
            IssuerEngine::builder(
                IssuerSettings::new("https://issuer.example"),
                vec![profile],
                IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
                &[9u8; 32],
                Arc::new(rng),
            )
            .with_stores(stores)
            .with_encryption(encryption)
            .build()
            .ok()
        })
        .as_ref()
}

/// Runs one endpoint on hostile input. `data`: one byte choosing the endpoint (token,
/// credential, deferred credential, notification), header lines `name: value` separated by
/// `\n` up to the first NUL byte, then the body. Every answer must be an `Ok` or a well-formed
/// `OAuthError`; a panic is the bug.
pub fn endpoints(data: &[u8]) {
    let Some(engine) = engine() else {
        return;
    };
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = match rest.iter().position(|&b| b == 0) {
        Some(i) => {
            let (head, tail) = rest.split_at(i);
            (head, tail.split_first().map_or(&[][..], |(_, body)| body))
        }
        None => (rest, &[][..]),
    };
    let headers: Vec<(&str, &[u8])> = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = core::str::from_utf8(line.get(..colon)?).ok()?;
            let value = line.get(colon + 1..)?;
            Some((name.trim(), value.trim_ascii()))
        })
        .collect();
    let request = EndpointRequest::new(&headers, body);
    let answer = match which % 4 {
        0 => engine.token(&request, NOW),
        1 => engine.credential(&request, NOW),
        2 => engine.deferred_credential(&request, NOW),
        _ => engine.notification(&request, NOW).map(|(answer, _)| answer),
    };
    if let Err(e) = answer {
        // Every refusal is an answer a client can read.
        let _ = (e.status(), e.to_json(), e.headers().count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_requests_get_answers() {
        let cases: [&[u8]; 7] = [
            b"\x01authorization: Bearer fuzz-token\ncontent-type: application/jwt\x00a.b.c.d.e",
            b"\x02authorization: Bearer fuzz-token\ncontent-type: application/jwt\x00eyJhbGciOiJFQ0RILUVTIn0....",
            b"",
            b"\x00content-type: application/x-www-form-urlencoded\x00grant_type=x",
            b"\x01authorization: Bearer fuzz-token\ncontent-type: application/json\x00{\"credential_configuration_id\":\"pid\",\"proofs\":{\"jwt\":[\"a.b.c\"]}}",
            b"\x02authorization: Bearer fuzz-token\ncontent-type: application/json\x00{\"transaction_id\":\"t\"}",
            b"\x03authorization: Bearer fuzz-token\nauthorization: Bearer x\x00{}",
        ];
        for case in cases {
            endpoints(case);
        }
        let headers: [(&str, &[u8]); 2] = [
            ("authorization", b"Bearer fuzz-token"),
            ("content-type", b"application/json"),
        ];
        let body = br#"{"transaction_id":"unknown"}"#;
        let answer =
            engine().map(|e| e.deferred_credential(&EndpointRequest::new(&headers, body), NOW));
        let error = answer.and_then(Result::err).map(|e| e.error().to_owned());
        assert_eq!(error.as_deref(), Some("invalid_transaction_id"));
        // An encrypted deferred request to the fuzzing key reaches the same answer.
        let jwe = jose_core::jwe::JweEncrypter::new(
            &engine()
                .and_then(|e| e.encryption())
                .and_then(|s| s.request_keys.first())
                .map(|k| k.key.public_jwk())
                .unwrap_or_else(|| panic!("no fuzzing engine")),
            jose_core::jwe::ContentEncryption::A128Gcm,
        )
        .and_then(|e| e.with_kid("fuzz-key").encrypt(body, &SystemRandom::new()))
        .unwrap_or_else(|e| panic!("{e}"));
        let headers: [(&str, &[u8]); 2] = [
            ("authorization", b"Bearer fuzz-token"),
            ("content-type", b"application/jwt"),
        ];
        let answer = engine()
            .map(|e| e.deferred_credential(&EndpointRequest::new(&headers, jwe.as_bytes()), NOW));
        let error = answer.and_then(Result::err).map(|e| e.error().to_owned());
        assert_eq!(error.as_deref(), Some("invalid_transaction_id"));
    }
}
