//! The other direction: JWEs this crate produces decrypt in another implementation (Python
//! joserfc 1.8.0, as `.ci/run` installs it). Skipped, with the reason printed, only when
//! `python3` is absent; a `python3` without joserfc is a failure.

use std::io::Write as _;
use std::process::{Command, Stdio};

use jose_core::jwe::{
    Compression, ContentEncryption, JweEncrypter, KeyAgreement, LocalKeyAgreement,
};
use jose_core::{EcCurve, SystemRandom, base64url};
use serde_json::{Value, json};

const SCRIPT: &str = r#"
import json, sys
from joserfc import jwe
from joserfc.jwk import ECKey
cases = json.load(sys.stdin)
out = []
for case in cases:
    key = ECKey.import_key(case["jwk"])
    obj = jwe.decrypt_compact(case["jwe"], key, algorithms=["ECDH-ES", "A128GCM", "A256GCM", "DEF"])
    out.append(obj.plaintext.decode("utf-8"))
print(json.dumps(out))
"#;

fn python3_present() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn our_jwes_decrypt_in_python_joserfc() {
    if !python3_present() {
        println!("SKIPPED our_jwes_decrypt_in_python_joserfc: python3 is not installed");
        return;
    }
    let rng = SystemRandom::new();
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for curve in [EcCurve::P256, EcCurve::P384] {
        let key = LocalKeyAgreement::generate(curve, &rng).unwrap();
        let mut private = key.public_jwk().to_value();
        private["d"] = base64url::encode(&key.scalar_bytes()).into();
        for enc in [ContentEncryption::A128Gcm, ContentEncryption::A256Gcm] {
            for zip in [None, Some(Compression::Deflate)] {
                let plaintext =
                    json!({"credentials": [{"credential": "eyJhbGciOiJFUzI1NiJ9.e30.sig"}],
                    "curve": curve.jwk_name(), "enc": enc.jose_name(), "zip": zip.is_some()})
                    .to_string();
                let token = JweEncrypter::new(&key.public_jwk(), enc)
                    .unwrap()
                    .with_zip(zip)
                    .with_apu(b"wallet".to_vec())
                    .with_apv(b"issuer".to_vec())
                    .encrypt(plaintext.as_bytes(), &rng)
                    .unwrap();
                cases.push(json!({"jwk": private, "jwe": token}));
                expected.push(Value::String(plaintext));
            }
        }
        assert_eq!(key.curve(), curve);
    }
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(cases).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python3 joserfc failed (install it with `pip install joserfc==1.8.0`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decrypted: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decrypted, Value::Array(expected));
}
