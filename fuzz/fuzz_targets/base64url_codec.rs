//! The base64url codec against base64ct's constant-time one (the reference), on any text and
//! any bytes: the same strict decoding (alphabet, no padding, length, trailing bits) through
//! every decoding entry point, encoding that decodes back (also appended to a string), and a
//! prefix of the encoding in a target of any length.
#![no_main]
use jose_core::base64url;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        let decoded = base64url::decode(text);
        assert_eq!(decoded, base64url::decode_secret(text), "{text:?}");
        if let Some(bytes) = &decoded {
            assert_eq!(base64url::encode(bytes), text);
        }
        // Appending keeps what the buffer held, and adds nothing on bad input.
        let mut out = b"kept".to_vec();
        let added = base64url::decode_to_vec(&mut out, text);
        assert_eq!(added, decoded.as_ref().map(Vec::len));
        assert_eq!(out.get(..4), Some(&b"kept"[..]));
        assert_eq!(out.get(4..), Some(decoded.as_deref().unwrap_or_default()));
        let array = base64url::decode_array::<16>(text);
        assert_eq!(
            array.map(Vec::from),
            decoded.clone().filter(|bytes| bytes.len() == 16)
        );
    }
    let full = base64url::encode(data);
    assert_eq!(base64url::decode(&full).as_deref(), Some(data));
    let mut appended = String::from("kept");
    base64url::encode_to_string(&mut appended, data);
    assert_eq!(appended.strip_prefix("kept"), Some(full.as_str()));
    let room = data.first().map_or(0, |first| {
        usize::from(*first) % full.len().saturating_add(1)
    });
    let mut target = vec![0u8; room];
    let written = base64url::encode_to_slice(&mut target, data);
    assert!(written <= room);
    assert_eq!(target.get(..written), full.as_bytes().get(..written));
});
