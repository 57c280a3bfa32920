//! The fuzz entry points run on every committed seed (`--cfg fuzzing`, where the
//! `fuzzing` module exists; `.ci/run` runs it). Reading the corpus is this test's I/O, not the
//! library's.

/// A fuzz entry point.
type Entry = fn(&[u8]) -> Result<(), pop_verifier::Error>;

#[test]
fn seeds_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut ran = 0;
    let targets: [(&str, Entry); 4] = [
        (
            "pop_attestation_pop_verify",
            pop_verifier::fuzzing::attestation_pop_verify,
        ),
        ("pop_dpop_verify", pop_verifier::fuzzing::dpop_verify),
        (
            "pop_key_proof_verify",
            pop_verifier::fuzzing::key_proof_verify,
        ),
        (
            "key_attestation_verify",
            pop_verifier::fuzzing::key_attestation_verify,
        ),
    ];
    for (target, f) in targets {
        for entry in std::fs::read_dir(dir.join(target)).unwrap() {
            let path = entry.unwrap().path();
            // Only the committed seeds; local fuzzing runs add ignored files next to them.
            if !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                continue;
            }
            let data = std::fs::read(path).unwrap();
            let _ = f(&data);
            ran += 1;
        }
    }
    assert!(ran >= 8, "only {ran} seeds found");
}

#[test]
fn key_attestation_seeds_reach_their_checks() {
    let seed = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/key_attestation_verify")
                .join(name),
        )
        .unwrap()
    };
    assert_eq!(
        pop_verifier::fuzzing::key_attestation_verify(&seed("seed-0")),
        Ok(())
    );
    assert_eq!(
        pop_verifier::fuzzing::key_attestation_verify(&seed("seed-1")),
        Err(pop_verifier::Error::AttestedKeyInvalid {
            index: 0,
            source: jose_core::Error::PrivateKeyMember { member: "d" }
        })
    );
    assert_eq!(
        pop_verifier::fuzzing::key_attestation_verify(&seed("seed-2")),
        Err(pop_verifier::Error::NonceInvalid {
            source: pop_verifier::NonceError::Malformed
        })
    );
    assert!(pop_verifier::fuzzing::key_attestation_verify(&seed("seed-3")).is_err());
}
