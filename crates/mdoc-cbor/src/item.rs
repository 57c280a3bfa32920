//! `IssuerSignedItem` (ISO 18013-5 §8.3.2.1.2.2) and its `#6.24(bstr)` wrapping.

use crate::cbor::{Reader, Writer};
use crate::error::Error;
use crate::limits::{Limits, MIN_RANDOM_LEN};
use crate::mso::read_digest_id;
use crate::value::ElementValue;

/// Writes `IssuerSignedItem` = `{digestID, random, elementIdentifier, elementValue}` (Annex D
/// member order); the caller wraps it as `IssuerSignedItemBytes` = `#6.24(bstr)`.
#[inline]
pub(crate) fn write_item(
    w: &mut Writer,
    digest_id: u64,
    random: &[u8],
    identifier: &str,
    value: &ElementValue,
) {
    w.map(4);
    w.text("digestID").uint(digest_id);
    w.text("random").bytes(random);
    w.text("elementIdentifier").text(identifier);
    w.text("elementValue");
    value.encode(w);
}

/// One received `IssuerSignedItemBytes`, decoded, with its exact received encoding.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ReceivedItem<'a> {
    /// The complete received `#6.24(bstr)` encoding: the digest input.
    pub raw: &'a [u8],
    /// `digestID`.
    pub digest_id: u64,
    /// `random` (the salt).
    pub random: &'a [u8],
    /// `elementIdentifier`.
    pub identifier: &'a str,
    /// `elementValue`.
    pub value: ElementValue,
}

impl<'a> ReceivedItem<'a> {
    /// Reads one `IssuerSignedItemBytes` at the reader's position.
    pub(crate) fn decode(r: &mut Reader<'a>, limits: &Limits) -> Result<Self, Error> {
        let (raw, inner) = r.tag24()?;
        let inner_at = r.absolute(r.position().saturating_sub(inner.len()));
        let mut ir = Reader::nested(inner, "IssuerSignedItem", inner_at);
        let (mut digest_id, mut random, mut identifier, mut value) = (None, None, None, None);
        ir.struct_map(limits.max_struct_entries(), |key, ir| {
            match key {
                "digestID" => digest_id = Some(read_digest_id(ir)?),
                "random" => random = Some(ir.bytes()?),
                "elementIdentifier" => identifier = Some(ir.text()?),
                "elementValue" => {
                    ir.enter("elementValue");
                    value = Some(ElementValue::decode(ir, limits)?);
                    ir.enter("IssuerSignedItem");
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        ir.finish()?;
        let missing = |field| Error::MissingField {
            structure: "IssuerSignedItem",
            field,
        };
        let random = random.ok_or_else(|| missing("random"))?;
        // ISO 18013-5 §9.1.2.4: at least 16 bytes, so an undisclosed element's value cannot be
        // found by hashing guesses against its digest.
        if random.len() < MIN_RANDOM_LEN {
            return Err(Error::UnexpectedValue {
                field: "random",
                reason: "must be at least 16 bytes",
            });
        }
        Ok(Self {
            raw,
            digest_id: digest_id.ok_or_else(|| missing("digestID"))?,
            random,
            identifier: identifier.ok_or_else(|| missing("elementIdentifier"))?,
            value: value.ok_or_else(|| missing("elementValue"))?,
        })
    }
}
