//! Runs the fuzz helpers over the committed seed corpora and a few hostile inputs, so the
//! round-trip oracles are exercised by `cargo test` too.

use std::path::PathBuf;

use oid4vci_types::fuzzing;

/// A fuzz helper entry point.
type Helper = fn(&[u8]);

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn fuzz_helpers_accept_seeds_and_hostile_inputs() {
    let hostile: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"%".to_vec(),
        b"\xff\xfe".to_vec(),
        "[".repeat(10_000).into_bytes(),
        b"a=1&a=2".to_vec(),
        b"client_id=w&request_uri=u&response_type=code&scope=x".to_vec(),
        b"x:?credential_offer=%7B%7D".to_vec(),
        br#"{"proofs":{"jwt":[]},"credential_identifier":"a"}"#.to_vec(),
    ];
    let targets: [(&str, Helper); 6] = [
        ("oid4vci_offer_uri", fuzzing::offer_uri),
        ("oid4vci_token_request", fuzzing::token_request),
        ("oid4vci_par_request", fuzzing::par_request),
        (
            "oid4vci_authorization_request",
            fuzzing::authorization_request,
        ),
        ("oid4vci_credential_request", fuzzing::credential_request),
        ("oid4vci_metadata", fuzzing::metadata),
    ];
    for (name, run) in targets {
        let seeds = corpus(name);
        assert!(seeds.len() >= 2, "{name}: seeds missing");
        for input in seeds.iter().chain(&hostile) {
            run(input);
        }
    }
}
