//! Data element values: the CBOR data model of `elementValue`, with the tagged date forms
//! ISO 18013-5 uses, and their JSON rendering for display.

use serde_json::Value as Json;

use crate::cbor::{Reader, TAG_FULL_DATE, TAG_TDATE, Writer, head_len, len_u64};
use crate::date;
use crate::error::Error;
use crate::limits::Limits;

/// The smallest CBOR integer, -2^64.
const CBOR_INT_MIN: i128 = -18_446_744_073_709_551_616;
/// The largest CBOR integer, 2^64 - 1.
const CBOR_INT_MAX: i128 = 18_446_744_073_709_551_615;

/// One `elementValue` (ISO 18013-5 §8.3.2.1.2.2: `any`).
///
/// Integers cover the whole CBOR range (-2^64 to 2^64-1). Floats of any width decode to `f64` and
/// are written as double precision. Tags other than 0 and 1004 are kept as [`Self::Tagged`].
///
/// ```
/// use mdoc_cbor::ElementValue;
/// let v = ElementValue::full_date("2019-10-20")?;
/// assert_eq!(v.to_json(), serde_json::json!("2019-10-20"));
/// assert!(ElementValue::full_date("2019-02-30").is_err());
/// # Ok::<(), mdoc_cbor::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ElementValue {
    /// An array.
    Array(Vec<Self>),
    /// A boolean.
    Bool(bool),
    /// A byte string (a portrait, a signature image, a biometric template).
    Bytes(Vec<u8>),
    /// A floating-point number.
    Float(f64),
    /// `full-date` = `#6.1004(tstr)`, `YYYY-MM-DD` (RFC 8943).
    FullDate(String),
    /// An integer in the CBOR range.
    Integer(i128),
    /// A map, entries in their encoded order.
    Map(Vec<(Self, Self)>),
    /// `null`.
    Null,
    /// Any other tag and its content.
    Tagged(u64, Box<Self>),
    /// `tdate` = `#6.0(tstr)`, RFC 3339 date-time.
    TDate(String),
    /// A text string.
    Text(String),
    /// `undefined` (simple value 23).
    Undefined,
}

impl ElementValue {
    /// A `full-date` after checking `YYYY-MM-DD`.
    ///
    /// # Errors
    /// [`Error::InvalidDate`] when `text` is not a valid date.
    pub fn full_date(text: &str) -> Result<Self, Error> {
        if date::is_full_date(text) {
            Ok(Self::FullDate(text.to_owned()))
        } else {
            Err(Error::InvalidDate { field: "full-date" })
        }
    }

    /// A `tdate` after checking `YYYY-MM-DDTHH:MM:SSZ` (no fractional seconds, UTC).
    ///
    /// # Errors
    /// [`Error::InvalidDate`] when `text` is not in that form.
    pub fn tdate(text: &str) -> Result<Self, Error> {
        if date::is_tdate(text) {
            Ok(Self::TDate(text.to_owned()))
        } else {
            Err(Error::InvalidDate { field: "tdate" })
        }
    }

    /// A `tdate` for a point in time.
    ///
    /// # Errors
    /// [`Error::InvalidDate`] outside the years 0000–9999.
    pub fn tdate_from_unix(time: jose_core::UnixTime) -> Result<Self, Error> {
        date::format_tdate(time, "tdate").map(Self::TDate)
    }

    /// Converts plain JSON: strings become text, whole numbers integers, other numbers floats,
    /// objects maps with text keys. Dates and byte strings have no JSON form; build them with
    /// [`Self::full_date`], [`Self::tdate`] or [`Self::Bytes`] (or use
    /// [`Issuance::from_json`](crate::Issuance::from_json), which knows the mDL element types).
    #[must_use]
    pub fn from_json(json: &Json) -> Self {
        match json {
            Json::Null => Self::Null,
            Json::Bool(b) => Self::Bool(*b),
            Json::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .map_or_else(
                    || Self::Float(n.as_f64().unwrap_or(f64::NAN)),
                    Self::Integer,
                ),
            Json::String(s) => Self::Text(s.clone()),
            Json::Array(items) => Self::Array(items.iter().map(Self::from_json).collect()),
            Json::Object(map) => Self::Map(
                map.iter()
                    .map(|(k, v)| (Self::Text(k.clone()), Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// A JSON rendering for display: dates as their text, byte strings as unpadded base64url,
    /// integers beyond `i64`/`u64` and non-finite floats as strings, non-text map keys as their
    /// JSON text, other tags as their content.
    #[must_use]
    pub fn to_json(&self) -> Json {
        match self {
            Self::Array(items) => Json::Array(items.iter().map(Self::to_json).collect()),
            Self::Bool(b) => Json::Bool(*b),
            Self::Bytes(b) => Json::String(jose_core::base64url::encode(b)),
            Self::Float(f) => serde_json::Number::from_f64(*f)
                .map_or_else(|| Json::String(f.to_string()), Json::Number),
            Self::FullDate(s) | Self::TDate(s) | Self::Text(s) => Json::String(s.clone()),
            Self::Integer(i) => i64::try_from(*i)
                .map(Json::from)
                .or_else(|_| u64::try_from(*i).map(Json::from))
                .unwrap_or_else(|_| Json::String(i.to_string())),
            Self::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Self::Text(s) => s.clone(),
                            other => other.to_json().to_string(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
            Self::Null | Self::Undefined => Json::Null,
            Self::Tagged(_, inner) => inner.to_json(),
        }
    }

    /// The value as text, for [`Self::Text`], [`Self::FullDate`] and [`Self::TDate`].
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) | Self::FullDate(s) | Self::TDate(s) => Some(s),
            _ => None,
        }
    }

    /// Checks that the value can be issued: integers in the CBOR range, dates well formed,
    /// no nesting deeper than `max_depth`.
    pub(crate) fn validate(&self, max_depth: usize) -> Result<(), &'static str> {
        if max_depth == 0 {
            return Err("nested too deeply");
        }
        match self {
            Self::Integer(i) if !(CBOR_INT_MIN..=CBOR_INT_MAX).contains(i) => {
                Err("integer outside the CBOR range")
            }
            Self::FullDate(s) if !date::is_full_date(s) => Err("full-date is not YYYY-MM-DD"),
            Self::TDate(s) if !date::is_tdate(s) => Err("tdate is not YYYY-MM-DDTHH:MM:SSZ"),
            Self::Array(items) => items.iter().try_for_each(|v| v.validate(max_depth - 1)),
            Self::Map(entries) => entries.iter().try_for_each(|(k, v)| {
                k.validate(max_depth - 1)?;
                v.validate(max_depth - 1)
            }),
            Self::Tagged(tag, _) if matches!(*tag, TAG_TDATE | TAG_FULL_DATE | 24) => {
                Err("use FullDate/TDate instead of Tagged 0/1004, and no tag 24")
            }
            Self::Tagged(_, inner) => inner.validate(max_depth - 1),
            _ => Ok(()),
        }
    }

    /// The length of [`Self::encode`]'s output (used to size buffers before writing).
    pub(crate) fn encoded_len(&self) -> usize {
        let sized = |arg: usize| head_len(len_u64(arg)).saturating_add(arg);
        match self {
            Self::Array(items) => items
                .iter()
                .map(Self::encoded_len)
                .fold(head_len(len_u64(items.len())), usize::saturating_add),
            Self::Bool(_) | Self::Null | Self::Undefined => 1,
            Self::Bytes(b) => sized(b.len()),
            Self::Float(_) => 9,
            Self::FullDate(s) => head_len(TAG_FULL_DATE).saturating_add(sized(s.len())),
            Self::Integer(i) => {
                let arg = if *i >= 0 { *i } else { -1 - *i };
                head_len(u64::try_from(arg).unwrap_or(u64::MAX))
            }
            Self::Map(entries) => entries
                .iter()
                .map(|(k, v)| k.encoded_len().saturating_add(v.encoded_len()))
                .fold(head_len(len_u64(entries.len())), usize::saturating_add),
            Self::Tagged(tag, inner) => head_len(*tag).saturating_add(inner.encoded_len()),
            Self::TDate(s) => head_len(TAG_TDATE).saturating_add(sized(s.len())),
            Self::Text(s) => sized(s.len()),
        }
    }

    /// Writes the value. Integers outside the CBOR range are clamped; [`Self::validate`] refuses
    /// them before anything is issued.
    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            Self::Array(items) => {
                w.array(items.len());
                items.iter().for_each(|v| v.encode(w));
            }
            Self::Bool(b) => {
                w.bool(*b);
            }
            Self::Bytes(b) => {
                w.bytes(b);
            }
            Self::Float(f) => {
                w.f64(*f);
            }
            Self::FullDate(s) => {
                w.tag(TAG_FULL_DATE).text(s);
            }
            Self::Integer(i) => {
                if *i >= 0 {
                    w.uint(u64::try_from(*i).unwrap_or(u64::MAX));
                } else {
                    w.negative(u64::try_from(-1 - *i).unwrap_or(u64::MAX));
                }
            }
            Self::Map(entries) => {
                w.map(entries.len());
                for (k, v) in entries {
                    k.encode(w);
                    v.encode(w);
                }
            }
            Self::Null => {
                w.null();
            }
            Self::Tagged(tag, inner) => {
                w.tag(*tag);
                inner.encode(w);
            }
            Self::TDate(s) => {
                w.tag(TAG_TDATE).text(s);
            }
            Self::Text(s) => {
                w.text(s);
            }
            Self::Undefined => {
                w.raw(&[0xf7]);
            }
        }
    }

    /// Reads one value, at most `limits.max_depth()` containers/tags deep.
    pub(crate) fn decode(r: &mut Reader<'_>, limits: &Limits) -> Result<Self, Error> {
        decode_at(r, limits, 0)
    }

    /// Decodes a standalone encoded value (no trailing bytes).
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::Truncated`], [`Error::TooDeep`], [`Error::TooMany`],
    /// [`Error::DuplicateKey`] or [`Error::TrailingBytes`].
    pub fn from_cbor(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let mut r = Reader::new(bytes, "elementValue");
        let value = Self::decode(&mut r, limits)?;
        r.finish()?;
        Ok(value)
    }

    /// The preferred-serialisation CBOR encoding of the value.
    #[must_use]
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode(&mut w);
        w.into_bytes()
    }
}

fn decode_at(r: &mut Reader<'_>, limits: &Limits, depth: usize) -> Result<ElementValue, Error> {
    use minicbor::data::Type;
    let at = r.position();
    let deeper = || {
        if depth >= limits.max_depth() {
            Err(Error::TooDeep {
                structure: r.structure(),
                position: r.absolute(at),
                max: limits.max_depth(),
            })
        } else {
            Ok(depth.saturating_add(1))
        }
    };
    Ok(match r.datatype()? {
        Type::Bool => ElementValue::Bool(r.bool()?),
        Type::Null => {
            r.null()?;
            ElementValue::Null
        }
        Type::Undefined => {
            r.undefined()?;
            ElementValue::Undefined
        }
        Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::I8
        | Type::I16
        | Type::I32
        | Type::I64
        | Type::Int => ElementValue::Integer(r.int()?),
        Type::F16 | Type::F32 | Type::F64 => ElementValue::Float(r.float()?),
        Type::Bytes => ElementValue::Bytes(r.bytes()?.to_vec()),
        Type::String => ElementValue::Text(r.text()?.to_owned()),
        Type::Array => {
            let next = deeper()?;
            let len = r.array(limits.max_container_len(), "array entries")?;
            let mut items = Vec::with_capacity(len.min(64));
            for _ in 0..len {
                items.push(decode_at(r, limits, next)?);
            }
            ElementValue::Array(items)
        }
        Type::Map => {
            let next = deeper()?;
            let len = r.map(limits.max_container_len(), "map entries")?;
            let mut entries = Vec::with_capacity(len.min(64));
            let mut keys: Vec<&[u8]> = Vec::with_capacity(len.min(64));
            for _ in 0..len {
                let key_at = r.position();
                let key = decode_at(r, limits, next)?;
                let key_bytes = r.input().get(key_at..r.position()).unwrap_or_default();
                if keys.contains(&key_bytes) {
                    return Err(Error::DuplicateKey {
                        structure: r.structure(),
                        position: r.absolute(key_at),
                    });
                }
                keys.push(key_bytes);
                entries.push((key, decode_at(r, limits, next)?));
            }
            ElementValue::Map(entries)
        }
        Type::Tag => {
            let next = deeper()?;
            let tag = r.tag()?;
            match tag {
                TAG_TDATE => ElementValue::TDate(r.text()?.to_owned()),
                TAG_FULL_DATE => ElementValue::FullDate(r.text()?.to_owned()),
                other => ElementValue::Tagged(other, Box::new(decode_at(r, limits, next)?)),
            }
        }
        Type::Simple => {
            r.simple()?;
            return Err(r.malformed(at, "unassigned simple value"));
        }
        Type::BytesIndef | Type::StringIndef | Type::ArrayIndef | Type::MapIndef => {
            return Err(r.malformed(at, "indefinite length"));
        }
        _ => return Err(r.malformed(at, "invalid CBOR item")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_len_is_exact() {
        let values = [
            ElementValue::Integer(-1),
            ElementValue::Integer(23),
            ElementValue::Integer(24),
            ElementValue::Integer(-(1 << 40)),
            ElementValue::Integer(CBOR_INT_MAX),
            ElementValue::Integer(CBOR_INT_MIN),
            ElementValue::Bytes(vec![0; 300]),
            ElementValue::Text("x".repeat(70_000)),
            ElementValue::FullDate("2020-01-01".into()),
            ElementValue::TDate("2020-01-01T00:00:00Z".into()),
            ElementValue::Float(1.5),
            ElementValue::Tagged(1_000_000, Box::new(ElementValue::Undefined)),
            ElementValue::Map(vec![(
                ElementValue::Text("k".into()),
                ElementValue::Array(vec![ElementValue::Null, ElementValue::Bool(true)]),
            )]),
        ];
        for value in values {
            assert_eq!(value.encoded_len(), value.to_cbor().len(), "{value:?}");
        }
    }
}
