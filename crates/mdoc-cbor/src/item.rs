//! `IssuerSignedItem` (ISO 18013-5 §8.3.2.1.2.2) and its `#6.24(bstr)` wrapping.

use crate::cbor::{Reader, Writer};
use crate::error::Error;
use crate::limits::Limits;
use crate::mso::read_digest_id;
use crate::value::ElementValue;

/// Encodes `{digestID, random, elementIdentifier, elementValue}` (Annex D member order) and
/// wraps it as `IssuerSignedItemBytes` = `#6.24(bstr)`.
pub(crate) fn encode_item_bytes(
    digest_id: u64,
    random: &[u8],
    identifier: &str,
    value: &ElementValue,
) -> Vec<u8> {
    let mut inner = Writer::with_capacity(64);
    inner.map(4);
    inner.text("digestID").uint(digest_id);
    inner.text("random").bytes(random);
    inner.text("elementIdentifier").text(identifier);
    inner.text("elementValue");
    value.encode(&mut inner);
    let inner = inner.into_bytes();
    let mut outer = Writer::with_capacity(inner.len().saturating_add(8));
    outer.tag24(&inner);
    outer.into_bytes()
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
        Ok(Self {
            raw,
            digest_id: digest_id.ok_or_else(|| missing("digestID"))?,
            random: random.ok_or_else(|| missing("random"))?,
            identifier: identifier.ok_or_else(|| missing("elementIdentifier"))?,
            value: value.ok_or_else(|| missing("elementValue"))?,
        })
    }
}
