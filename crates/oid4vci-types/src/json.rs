//! Strict JSON reading: size limit, then jose-core's strict parser (depth limit, duplicate
//! member names refused, trailing data refused); then typed deserialization with errors mapped
//! to [`Error`].

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};

use jose_core::JsonError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, MessageKind};
use crate::limits::MAX_DETAIL_CHARS;

/// Parses `bytes` as one JSON value under the given limits, through jose-core's strict parser
/// (the workspace's one strict JSON visitor: duplicate member names refused at every depth,
/// nesting limited, trailing data refused).
pub(crate) fn parse_value(
    bytes: &[u8],
    max_len: usize,
    max_depth: usize,
    message: MessageKind,
) -> Result<Value, Error> {
    if bytes.len() > max_len {
        return Err(Error::InputTooLarge {
            len: bytes.len(),
            max: max_len,
        });
    }
    jose_core::json::parse_value(bytes, max_depth).map_err(|error| match error {
        JsonError::DuplicateMember { name } => Error::DuplicateMember { name },
        JsonError::TooDeep { max } => Error::JsonTooDeep { max },
        JsonError::NotAnObject => Error::NotAnObject { message },
        JsonError::Syntax { line, column } => Error::InvalidJson {
            message,
            line,
            column,
        },
        // A refusal a later jose-core adds: still "not the JSON this message allows", without
        // a position.
        _ => Error::InvalidJson {
            message,
            line: 0,
            column: 0,
        },
    })
}

/// Parses `bytes` as a JSON object under the given limits.
pub(crate) fn parse_object(
    bytes: &[u8],
    max_len: usize,
    max_depth: usize,
    message: MessageKind,
) -> Result<Map<String, Value>, Error> {
    match parse_value(bytes, max_len, max_depth, message)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::NotAnObject { message }),
    }
}

/// Deserializes an already strictly parsed value into `T`.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: Value,
    message: MessageKind,
) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| map_error(&e, message))
}

/// Parses `bytes` strictly as an object and deserializes it into `T`.
pub(crate) fn parse_typed<T: DeserializeOwned>(
    bytes: &[u8],
    max_len: usize,
    max_depth: usize,
    message: MessageKind,
) -> Result<T, Error> {
    let map = parse_object(bytes, max_len, max_depth, message)?;
    from_value(Value::Object(map), message)
}

/// Maps a serde_json error to [`Error`]: syntax errors keep their position, a missing field
/// becomes [`Error::MissingMember`] (serde's stable "missing field `x`" wording), and
/// everything else is [`Error::InvalidMember`].
pub(crate) fn map_error(err: &serde_json::Error, message: MessageKind) -> Error {
    match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            Error::InvalidJson {
                message,
                line: err.line(),
                column: err.column(),
            }
        }
        serde_json::error::Category::Io | serde_json::error::Category::Data => {
            data_error(&err.to_string(), message)
        }
    }
}

/// Classifies a deserializer message.
pub(crate) fn data_error(text: &str, message: MessageKind) -> Error {
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some((member, _)) = rest.split_once('`')
    {
        return Error::MissingMember {
            message,
            member: member.to_owned(),
        };
    }
    if let Some(err) = crate::text::decode_embedded_error(text) {
        return err;
    }
    Error::InvalidMember {
        message,
        detail: text.chars().take(MAX_DETAIL_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: MessageKind = MessageKind::CredentialOffer;

    #[test]
    fn duplicate_member_is_refused() {
        let err = parse_object(br#"{"a":1,"b":{"c":1,"c":2}}"#, 100, 8, K).unwrap_err();
        assert_eq!(err, Error::DuplicateMember { name: "c".into() });
    }

    #[test]
    fn depth_limit_is_enforced() {
        assert!(parse_object(br#"{"a":[[1]]}"#, 100, 3, K).is_ok());
        let err = parse_object(br#"{"a":[[[1]]]}"#, 100, 3, K).unwrap_err();
        assert_eq!(err, Error::JsonTooDeep { max: 3 });
    }

    #[test]
    fn trailing_data_and_syntax_errors_have_positions() {
        let err = parse_object(b"{} x", 100, 8, K).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidJson {
                message: K,
                line: 1,
                column: 4
            }
        );
    }

    #[test]
    fn size_limit_and_not_object() {
        assert_eq!(
            parse_object(b"{}  ", 3, 8, K).unwrap_err(),
            Error::InputTooLarge { len: 4, max: 3 }
        );
        assert_eq!(
            parse_object(b"[]", 3, 8, K).unwrap_err(),
            Error::NotAnObject { message: K }
        );
    }
}
