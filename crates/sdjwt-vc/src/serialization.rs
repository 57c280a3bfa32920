//! The compact (RFC 9901 §4) and JWS JSON (RFC 9901 §8) serializations: splitting received
//! input into its parts without re-encoding anything, and writing them.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::limits::Limits;

/// A received SD-JWT or SD-JWT+KB split into its parts, all exactly as received (borrowed
/// from the compact input; owned when they come from the JWS JSON serialization).
#[derive(Debug)]
pub(crate) struct Split<'a> {
    /// Candidate issuer-signed JWTs in compact form: one, or one per signature of a general
    /// JWS JSON serialization (the first one carries the disclosures).
    pub(crate) jwts: Vec<Cow<'a, str>>,
    /// The disclosure strings.
    pub(crate) disclosures: Vec<Cow<'a, str>>,
    /// The KB-JWT, if the last component was not empty.
    pub(crate) kb_jwt: Option<Cow<'a, str>>,
    /// `<JWT>~<D1>~...~<Dn>~`: the input of `sd_hash` (RFC 9901 §4.3.1, §8.1).
    pub(crate) presented: Cow<'a, str>,
    /// Unprotected `kid` of each signature (JSON serialization only), a hint for the resolver.
    pub(crate) unprotected_kids: Vec<Option<String>>,
}

/// Splits either serialization: input starting with `{` (after whitespace) is JWS JSON.
pub(crate) fn split<'a>(input: &'a str, limits: &Limits) -> Result<Split<'a>, Error> {
    if input.len() > limits.max_len() {
        return Err(Error::TooLong {
            len: input.len(),
            max: limits.max_len(),
        });
    }
    if input.trim_start().starts_with('{') {
        split_json(input, limits)
    } else {
        split_compact(input, limits)
    }
}

/// `<JWT>~<D1>~...~<Dn>~[<KB-JWT>]`.
pub(crate) fn split_compact<'a>(input: &'a str, limits: &Limits) -> Result<Split<'a>, Error> {
    if input.len() > limits.max_len() {
        return Err(Error::TooLong {
            len: input.len(),
            max: limits.max_len(),
        });
    }
    let tildes = count_byte(input.as_bytes(), b'~');
    let Some(count) = tildes.checked_sub(1) else {
        return Err(Error::Malformed {
            reason: "no ~ separator: a bare JWT is not an SD-JWT",
        });
    };
    if count > limits.max_disclosures() {
        return Err(Error::TooManyDisclosures {
            count,
            max: limits.max_disclosures(),
        });
    }
    let last = input.rfind('~').ok_or(Error::Malformed {
        reason: "no ~ separator",
    })?;
    let presented = input.get(..=last).ok_or(Error::Malformed {
        reason: "bad separator",
    })?;
    let kb = input.get(last.saturating_add(1)..).unwrap_or_default();
    let body = input.get(..last).unwrap_or_default();
    let mut parts = body.split('~');
    let jwt = parts.next().unwrap_or_default();
    if jwt.is_empty() {
        return Err(Error::Malformed {
            reason: "empty issuer-signed JWT",
        });
    }
    let mut disclosures = Vec::with_capacity(count);
    for part in parts {
        if part.is_empty() {
            return Err(Error::Malformed {
                reason: "empty disclosure between ~ separators",
            });
        }
        disclosures.push(Cow::Borrowed(part));
    }
    Ok(Split {
        jwts: vec![Cow::Borrowed(jwt)],
        disclosures,
        kb_jwt: (!kb.is_empty()).then_some(Cow::Borrowed(kb)),
        presented: Cow::Borrowed(presented),
        unprotected_kids: vec![None],
    })
}

/// How many times `needle` occurs in `bytes`, counted in blocks of at most 255 so the compare
/// and add run on whole vectors.
fn count_byte(bytes: &[u8], needle: u8) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            usize::from(
                block
                    .iter()
                    .fold(0u8, |n, b| n.wrapping_add(u8::from(*b == needle))),
            )
        })
        .fold(0usize, usize::saturating_add)
}

fn json_err(reason: &'static str) -> Error {
    Error::InvalidJsonSerialization { reason }
}

fn string_member<'m>(map: &'m Map<String, Value>, name: &str) -> Result<&'m str, Error> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(json_err("a member that must be a string is not one")),
        None => Err(json_err(
            "a required member (payload, protected, signature) is missing",
        )),
    }
}

/// Flattened or general JWS JSON serialization with `disclosures` and `kb_jwt` in the (first)
/// unprotected header.
fn split_json(input: &str, limits: &Limits) -> Result<Split<'static>, Error> {
    let object = jose_core::json::parse_object(input.as_bytes(), limits.max_depth())
        .map_err(|_| json_err("not a strict JSON object"))?;
    let payload = string_member(&object, "payload")?;
    let signatures: Vec<&Map<String, Value>> = match object.get("signatures") {
        None => vec![&object],
        Some(Value::Array(items)) if !items.is_empty() => {
            if object.contains_key("signature") || object.contains_key("protected") {
                return Err(json_err("mixes the flattened and general forms"));
            }
            items
                .iter()
                .map(Value::as_object)
                .collect::<Option<_>>()
                .ok_or(json_err("signatures must hold objects"))?
        }
        Some(_) => return Err(json_err("signatures must be a non-empty array")),
    };
    let mut jwts = Vec::with_capacity(signatures.len());
    let mut kids = Vec::with_capacity(signatures.len());
    let mut disclosures = Vec::new();
    let mut kb_jwt = None;
    for (position, signature) in signatures.iter().enumerate() {
        let protected = string_member(signature, "protected")?;
        let value = string_member(signature, "signature")?;
        jwts.push(Cow::Owned(format!("{protected}.{payload}.{value}")));
        let header = match signature.get("header") {
            None => None,
            Some(Value::Object(header)) => Some(header),
            Some(_) => return Err(json_err("header must be an object")),
        };
        kids.push(
            header
                .and_then(|h| h.get("kid"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        );
        let carries =
            header.is_some_and(|h| h.contains_key("disclosures") || h.contains_key("kb_jwt"));
        if position > 0 {
            if carries {
                return Err(json_err(
                    "disclosures and kb_jwt belong in the first signature only",
                ));
            }
            continue;
        }
        let Some(header) = header else { continue };
        match header.get("disclosures") {
            None => {}
            Some(Value::Array(items)) => {
                if items.len() > limits.max_disclosures() {
                    return Err(Error::TooManyDisclosures {
                        count: items.len(),
                        max: limits.max_disclosures(),
                    });
                }
                for item in items {
                    match item {
                        Value::String(s) if !s.is_empty() && !s.contains('~') => {
                            disclosures.push(Cow::Owned(s.clone()));
                        }
                        _ => return Err(json_err("disclosures must be non-empty strings")),
                    }
                }
            }
            Some(_) => return Err(json_err("disclosures must be an array of strings")),
        }
        kb_jwt = match header.get("kb_jwt") {
            None => None,
            Some(Value::String(kb)) if !kb.is_empty() && !kb.contains('~') => {
                Some(Cow::Owned(kb.clone()))
            }
            Some(_) => return Err(json_err("kb_jwt must be a non-empty string")),
        };
    }
    let first = jwts.first().cloned().unwrap_or_default();
    let presented = Cow::Owned(compact(&first, disclosures.iter().map(|d| &**d)));
    Ok(Split {
        jwts,
        disclosures,
        kb_jwt,
        presented,
        unprotected_kids: kids,
    })
}

/// `<jwt>~<d1>~...~<dn>~`.
pub(crate) fn compact<'a>(jwt: &str, disclosures: impl Iterator<Item = &'a str> + Clone) -> String {
    let len = disclosures
        .clone()
        .fold(jwt.len().saturating_add(1), |len, d| {
            len.saturating_add(d.len()).saturating_add(1)
        });
    let mut out = String::with_capacity(len);
    out.push_str(jwt);
    out.push('~');
    for disclosure in disclosures {
        out.push_str(disclosure);
        out.push('~');
    }
    out
}

/// The flattened JWS JSON serialization of a compact JWT plus disclosures (and KB-JWT).
pub(crate) fn flattened_json<'a>(
    jwt: &str,
    disclosures: impl Iterator<Item = &'a str>,
    kb_jwt: Option<&str>,
) -> String {
    let mut parts = jwt.splitn(3, '.');
    let (protected, payload, signature) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut header = Map::new();
    header.insert(
        "disclosures".into(),
        disclosures.map(|d| Value::String(d.to_owned())).collect(),
    );
    if let Some(kb) = kb_jwt {
        header.insert("kb_jwt".into(), Value::String(kb.to_owned()));
    }
    let mut object = Map::new();
    object.insert("header".into(), Value::Object(header));
    object.insert("payload".into(), Value::String(payload.to_owned()));
    object.insert("protected".into(), Value::String(protected.to_owned()));
    object.insert("signature".into(), Value::String(signature.to_owned()));
    Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_split_keeps_received_strings() {
        let split = split_compact("a.b.c~d1~d2~kb", &Limits::default()).unwrap();
        assert_eq!(split.jwts, ["a.b.c"]);
        assert_eq!(split.disclosures, ["d1", "d2"]);
        assert_eq!(split.kb_jwt.as_deref(), Some("kb"));
        assert_eq!(split.presented, "a.b.c~d1~d2~");
        let plain = split_compact("a.b.c~", &Limits::default()).unwrap();
        assert!(plain.disclosures.is_empty());
        assert_eq!(plain.kb_jwt, None);
    }

    #[test]
    fn compact_split_refuses_malformed_input() {
        let limits = Limits::default().with_max_disclosures(2);
        assert_eq!(
            split_compact("a.b.c", &limits).unwrap_err(),
            Error::Malformed {
                reason: "no ~ separator: a bare JWT is not an SD-JWT"
            }
        );
        assert_eq!(
            split_compact("a.b.c~d1~~", &limits).unwrap_err(),
            Error::Malformed {
                reason: "empty disclosure between ~ separators"
            }
        );
        assert_eq!(
            split_compact("~d1~", &limits).unwrap_err(),
            Error::Malformed {
                reason: "empty issuer-signed JWT"
            }
        );
        assert_eq!(
            split_compact("a.b.c~1~2~3~", &limits).unwrap_err(),
            Error::TooManyDisclosures { count: 3, max: 2 }
        );
        assert_eq!(
            split("x".repeat(20).as_str(), &Limits::default().with_max_len(10)).unwrap_err(),
            Error::TooLong { len: 20, max: 10 }
        );
    }

    #[test]
    fn json_split_refuses_misplaced_members() {
        let limits = Limits::default();
        let general = r#"{"payload":"p","signatures":[{"protected":"h","signature":"s"},
            {"protected":"h","signature":"t","header":{"disclosures":["d"]}}]}"#;
        assert_eq!(
            split(general, &limits).unwrap_err(),
            json_err("disclosures and kb_jwt belong in the first signature only")
        );
        let flat =
            r#"{"payload":"p","protected":"h","signature":"s","header":{"disclosures":"d"}}"#;
        assert_eq!(
            split(flat, &limits).unwrap_err(),
            json_err("disclosures must be an array of strings")
        );
        let ok = r#"{"payload":"p","protected":"h","signature":"s","header":{"disclosures":["d"],"kb_jwt":"k"}}"#;
        let split = split(ok, &limits).unwrap();
        assert_eq!(split.jwts, ["h.p.s"]);
        assert_eq!(split.presented, "h.p.s~d~");
        assert_eq!(split.kb_jwt.as_deref(), Some("k"));
    }
}
