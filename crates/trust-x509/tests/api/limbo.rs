//! x509-limbo harness: every case is classified as pass, not applicable (by a written rule,
//! counted per rule) or unexpected. No unexpected accept is allowed; every unexpected
//! rejection must be listed with its reason in `tests/limbo-exceptions.json`, and every
//! listed exception must still be needed.

use std::collections::BTreeMap;

use jose_core::UnixTime;
use serde_json::Value;
use trust_x509::{KeyPurpose, Limits, Policy, TrustAnchors, validate_chain};

use crate::common::{parse_utc, vector_path};

/// Validation time for cases that do not pin one (all such limbo certificates are valid
/// from 1970 to 2969): 2026-01-01T00:00:00Z.
const DEFAULT_TIME: i64 = 1_767_225_600;

/// The written not-applicable rules, in the order they are tried.
///
/// 1. `crl`: the case has the `has-crl` feature. We do not process CRLs; revocation in this
///    workspace is the Token Status List.
/// 2. `host-name`: the case tests matching the expected peer name (DNS name or IP address)
///    against the leaf's SAN/CN, or the CA/Browser Forum SAN rules, which belong to TLS
///    server authentication: the namespaces `webpki::cn::` and `webpki::san::`, and
///    `rfc5280::san::underscore-dns` and `rfc5280::san::ip-in-dns` (dNSName syntax, only
///    meaningful when matching host names). We never match host names.
/// 3. `cabf-server-eku`: the case has the `pedantic-webpki-eku` feature: CA/Browser Forum
///    Baseline Requirements EKU rules for TLS server certificates (EKU mandatory and
///    non-critical on TLS leaves, no anyExtendedKeyUsage, no EKU in roots).
fn not_applicable(case: &Value) -> Option<&'static str> {
    let id = case["id"].as_str().unwrap_or_default();
    let has = |f: &str| {
        case["features"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == f))
    };
    if has("has-crl") {
        return Some("crl");
    }
    if id.starts_with("webpki::cn::")
        || id.starts_with("webpki::san::")
        || id == "rfc5280::san::underscore-dns"
        || id == "rfc5280::san::ip-in-dns"
    {
        return Some("host-name");
    }
    if has("pedantic-webpki-eku") {
        return Some("cabf-server-eku");
    }
    None
}

fn pem_blocks(text: &str) -> Vec<Vec<u8>> {
    let anchors =
        TrustAnchors::from_pem_with_limits(text, &Limits::default().with_max_cert_len(1 << 20));
    anchors
        .map(|a| a.iter_der().map(<[u8]>::to_vec).collect())
        .unwrap_or_default()
}

fn run_case(case: &Value) -> Result<(), String> {
    let anchors_pem: String = case["trusted_certs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    let anchors = TrustAnchors::from_pem(&anchors_pem).map_err(|e| format!("anchors: {e}"))?;
    let mut chain = pem_blocks(case["peer_certificate"].as_str().unwrap_or_default());
    for pem in case["untrusted_intermediates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        chain.extend(pem_blocks(pem.as_str().unwrap_or_default()));
    }
    let now = case["validation_time"]
        .as_str()
        .map_or(UnixTime::from_secs(DEFAULT_TIME), parse_utc);
    let ekus: Vec<&str> = case["extended_key_usage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut policy = match ekus.first() {
        None => Policy::any_eku(),
        Some(&"serverAuth") => Policy::leaf_eku(KeyPurpose::SERVER_AUTH),
        Some(&"clientAuth") => Policy::leaf_eku(KeyPurpose::CLIENT_AUTH),
        Some(&"codeSigning") => Policy::leaf_eku(KeyPurpose::CODE_SIGNING),
        Some(other) => return Err(format!("unmapped EKU {other}")),
    };
    if let Some(depth) = case["max_chain_depth"].as_u64() {
        let depth = usize::try_from(depth).expect("small");
        policy = policy.with_limits(Limits::default().with_max_chain_len(depth + 1));
    }
    validate_chain(&chain, &anchors, now, &policy)
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

#[test]
fn test_x509_limbo() {
    let limbo: Value = serde_json::from_str(
        &std::fs::read_to_string(vector_path("x509-limbo/limbo.json")).expect("limbo.json"),
    )
    .expect("json");
    let exceptions: BTreeMap<String, String> =
        serde_json::from_str(include_str!("../limbo-exceptions.json")).expect("exceptions json");
    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(vector_path(
            "x509-limbo/baseline-results/rustls-webpki.json",
        ))
        .expect("baseline"),
    )
    .expect("json");

    let mut pass = 0;
    let mut na: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexpected_accepts = Vec::new();
    let mut unexpected_rejects = Vec::new();
    let mut used_exceptions = Vec::new();
    let cases = limbo["testcases"].as_array().expect("cases");
    for case in cases {
        let id = case["id"].as_str().expect("id");
        if let Some(rule) = not_applicable(case) {
            *na.entry(rule).or_default() += 1;
            continue;
        }
        let expect_success = case["expected_result"] == "SUCCESS";
        match (run_case(case), expect_success) {
            (Ok(()), true) | (Err(_), false) => pass += 1,
            (Ok(()), false) => unexpected_accepts.push(id.to_owned()),
            (Err(reason), true) => {
                if exceptions.contains_key(id) {
                    used_exceptions.push(id.to_owned());
                } else {
                    unexpected_rejects.push(format!("{id}: {reason}"));
                }
            }
        }
    }
    let mut base = BTreeMap::<String, usize>::new();
    for r in baseline["results"].as_array().expect("results") {
        let id = r["id"].as_str().expect("id");
        let case = cases.iter().find(|c| c["id"] == id).expect("case");
        let actual = r["actual_result"].as_str().expect("result");
        let key = match (actual, case["expected_result"].as_str().expect("expected")) {
            ("SKIPPED", _) => "skipped",
            (a, e) if a == e => "pass",
            ("SUCCESS", _) => "unexpected success",
            _ => "unexpected failure",
        };
        *base.entry(key.to_owned()).or_default() += 1;
    }
    let na_total: usize = na.values().sum();
    println!(
        "x509-limbo: {} cases; trust-x509: pass {pass}, not applicable {na_total} {na:?}, \
         unexpected accepts {}, unexpected rejections {} (listed exceptions {})",
        cases.len(),
        unexpected_accepts.len(),
        unexpected_rejects.len() + used_exceptions.len(),
        used_exceptions.len()
    );
    println!("baseline rustls-webpki 0.103.13 on the same file: {base:?}");
    let stale: Vec<_> = exceptions
        .keys()
        .filter(|k| !used_exceptions.contains(k))
        .collect();
    assert!(
        unexpected_accepts.is_empty(),
        "unexpected accepts: {unexpected_accepts:#?}"
    );
    assert!(
        unexpected_rejects.is_empty(),
        "unlisted rejections: {unexpected_rejects:#?}"
    );
    assert!(stale.is_empty(), "exceptions no longer needed: {stale:?}");
}
