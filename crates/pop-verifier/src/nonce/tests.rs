use super::*;

const SECRET_A: [u8; 32] = [1; 32];
const SECRET_B: [u8; 32] = [2; 32];
const SECRET_C: [u8; 32] = [3; 32];

fn rng(dest: &mut [u8]) -> Result<(), jose_core::Error> {
    dest.fill(0x5a);
    Ok(())
}

fn t(s: i64) -> UnixTime {
    UnixTime::from_secs(s)
}

#[test]
fn round_trip_returns_issue_time() {
    let n = StatelessNonces::new(&SECRET_A, None).unwrap();
    let v = n.issue(NoncePurpose::CNonce, t(1000), &rng).unwrap();
    assert_eq!(v.len(), 78);
    assert_eq!(n.verify(&v, NoncePurpose::CNonce, t(1000), 60), Ok(t(1000)));
    assert_eq!(n.verify(&v, NoncePurpose::CNonce, t(1060), 60), Ok(t(1000)));
}

#[test]
fn expired_nonce_is_refused() {
    let n = StatelessNonces::new(&SECRET_A, None).unwrap();
    let v = n.issue(NoncePurpose::CNonce, t(1000), &rng).unwrap();
    assert_eq!(
        n.verify(&v, NoncePurpose::CNonce, t(1061), 60),
        Err(NonceError::Expired {
            issued_at: 1000,
            max_age: 60
        })
    );
}

#[test]
fn future_dated_nonce_is_refused_beyond_skew() {
    let n = StatelessNonces::new(&SECRET_A, None)
        .unwrap()
        .with_future_skew(5);
    let v = n.issue(NoncePurpose::DpopNonce, t(1000), &rng).unwrap();
    assert_eq!(
        n.verify(&v, NoncePurpose::DpopNonce, t(995), 60),
        Ok(t(1000))
    );
    assert_eq!(
        n.verify(&v, NoncePurpose::DpopNonce, t(994), 60),
        Err(NonceError::IssuedInFuture { issued_at: 1000 })
    );
}

#[test]
fn tampering_is_detected() {
    let n = StatelessNonces::new(&SECRET_A, None).unwrap();
    let v = n.issue(NoncePurpose::CNonce, t(1000), &rng).unwrap();
    let mut raw = jose_core::base64url::decode(&v).unwrap();
    // Move the issue time forward by one second.
    raw[9] ^= 1;
    let forged = jose_core::base64url::encode(&raw);
    assert_eq!(
        n.verify(&forged, NoncePurpose::CNonce, t(1000), 60),
        Err(NonceError::InvalidMac)
    );
    // Changing the purpose byte is tampering too.
    let mut raw = jose_core::base64url::decode(&v).unwrap();
    raw[1] = NoncePurpose::DpopNonce.tag();
    let forged = jose_core::base64url::encode(&raw);
    assert_eq!(
        n.verify(&forged, NoncePurpose::DpopNonce, t(1000), 60),
        Err(NonceError::InvalidMac)
    );
}

#[test]
fn malformed_values_are_refused() {
    let n = StatelessNonces::new(&SECRET_A, None).unwrap();
    for bad in ["", "abc", "a=", &"A".repeat(78), &"A".repeat(79)] {
        let got = n.verify(bad, NoncePurpose::CNonce, t(0), 60);
        assert!(
            matches!(got, Err(NonceError::Malformed)),
            "{bad:?}: {got:?}"
        );
    }
}

#[test]
fn purpose_confusion_is_refused() {
    let n = StatelessNonces::new(&SECRET_A, None).unwrap();
    let c_nonce = n.issue(NoncePurpose::CNonce, t(1000), &rng).unwrap();
    assert_eq!(
        n.verify(&c_nonce, NoncePurpose::DpopNonce, t(1000), 60),
        Err(NonceError::WrongPurpose {
            expected: NoncePurpose::DpopNonce,
            found: NoncePurpose::CNonce
        })
    );
    assert_eq!(
        n.verify(&c_nonce, NoncePurpose::AttestationChallenge, t(1000), 60),
        Err(NonceError::WrongPurpose {
            expected: NoncePurpose::AttestationChallenge,
            found: NoncePurpose::CNonce
        })
    );
}

#[test]
fn rotation_accepts_previous_and_refuses_older() {
    let gen_a = StatelessNonces::new(&SECRET_A, None).unwrap();
    let gen_b = StatelessNonces::new(&SECRET_B, Some(&SECRET_A)).unwrap();
    let gen_c = StatelessNonces::new(&SECRET_C, Some(&SECRET_B)).unwrap();
    let from_a = gen_a.issue(NoncePurpose::CNonce, t(1000), &rng).unwrap();
    let from_b = gen_b.issue(NoncePurpose::CNonce, t(1000), &rng).unwrap();
    assert_eq!(
        gen_b.verify(&from_a, NoncePurpose::CNonce, t(1000), 60),
        Ok(t(1000))
    );
    assert_eq!(
        gen_c.verify(&from_b, NoncePurpose::CNonce, t(1000), 60),
        Ok(t(1000))
    );
    assert_eq!(
        gen_c.verify(&from_a, NoncePurpose::CNonce, t(1000), 60),
        Err(NonceError::InvalidMac)
    );
    // A nonce of the new secret is not accepted by a server that has not rotated yet.
    assert_eq!(
        gen_a.verify(&from_b, NoncePurpose::CNonce, t(1000), 60),
        Err(NonceError::InvalidMac)
    );
}

#[test]
fn short_secrets_are_refused() {
    assert_eq!(
        StatelessNonces::new(&[0; 31], None).err(),
        Some(NonceError::SecretTooShort { len: 31, min: 32 })
    );
    assert_eq!(
        StatelessNonces::new(&SECRET_A, Some(&[0; 8])).err(),
        Some(NonceError::SecretTooShort { len: 8, min: 32 })
    );
}

#[test]
fn distinct_randomness_gives_distinct_nonces_and_debug_redacts() {
    let n = StatelessNonces::new(&SECRET_A, None).unwrap();
    let zero = |d: &mut [u8]| -> Result<(), jose_core::Error> {
        d.fill(0);
        Ok(())
    };
    let a = n.issue(NoncePurpose::CNonce, t(1), &rng).unwrap();
    let b = n.issue(NoncePurpose::CNonce, t(1), &zero).unwrap();
    assert_ne!(a, b);
    let failing = |_: &mut [u8]| -> Result<(), jose_core::Error> {
        Err(jose_core::Error::Unsupported { what: "rng" })
    };
    assert_eq!(
        n.issue(NoncePurpose::CNonce, t(1), &failing),
        Err(NonceError::Random)
    );
    assert!(!format!("{n:?}").contains("1, 1"));
    assert!(format!("{n:?}").contains("redacted"));
}
