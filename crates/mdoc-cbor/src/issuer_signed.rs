//! Parsing received `IssuerSigned` and `DeviceResponse` structures (ISO 18013-5 §8.3.2.1.2.2),
//! keeping the exact bytes of every item and of `issuerAuth`.

use crate::cbor::Reader;
use crate::error::Error;
use crate::item::ReceivedItem;
use crate::limits::Limits;

/// A received `IssuerSigned`, parsed but not verified. Borrows the input (`'a`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IssuerSigned<'a> {
    /// The items of each name space, in received order.
    pub name_spaces: Vec<(&'a str, Vec<ReceivedItem<'a>>)>,
    /// The exact received bytes of `issuerAuth` (a COSE_Sign1).
    pub issuer_auth: &'a [u8],
}

impl<'a> IssuerSigned<'a> {
    /// Parses `IssuerSigned` from CBOR, refusing trailing bytes.
    ///
    /// # Errors
    /// [`Error::TooLarge`] beyond [`Limits::max_input_len`], decoding errors
    /// ([`Error::Malformed`], [`Error::Truncated`], [`Error::TooMany`], [`Error::TooDeep`],
    /// [`Error::DuplicateKey`], [`Error::TrailingBytes`]), [`Error::MissingField`],
    /// [`Error::UnexpectedValue`] for an item that is not `#6.24(bstr)`.
    pub fn parse(bytes: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        check_len(bytes, limits)?;
        let mut r = Reader::new(bytes, "IssuerSigned");
        let parsed = Self::decode(&mut r, limits)?;
        r.finish()?;
        Ok(parsed)
    }

    pub(crate) fn decode(r: &mut Reader<'a>, limits: &Limits) -> Result<Self, Error> {
        let outer = r.enter("IssuerSigned");
        let mut name_spaces = Vec::new();
        let mut issuer_auth = None;
        r.struct_map(limits.max_struct_entries(), |key, r| {
            match key {
                "nameSpaces" => name_spaces = decode_name_spaces(r, limits)?,
                "issuerAuth" => issuer_auth = Some(r.skip()?),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        r.enter(outer);
        Ok(Self {
            name_spaces,
            issuer_auth: issuer_auth.ok_or(Error::MissingField {
                structure: "IssuerSigned",
                field: "issuerAuth",
            })?,
        })
    }
}

fn decode_name_spaces<'a>(
    r: &mut Reader<'a>,
    limits: &Limits,
) -> Result<Vec<(&'a str, Vec<ReceivedItem<'a>>)>, Error> {
    let outer = r.enter("nameSpaces");
    let mut out = Vec::new();
    let max = limits.max_name_spaces();
    r.struct_map(max, |name_space, r| {
        let len = r.array(limits.max_items_per_name_space(), "items in a name space")?;
        let mut items = Vec::with_capacity(len.min(64));
        for _ in 0..len {
            items.push(ReceivedItem::decode(r, limits)?);
        }
        out.push((name_space, items));
        Ok(true)
    })?;
    r.enter(outer);
    Ok(out)
}

fn check_len(bytes: &[u8], limits: &Limits) -> Result<(), Error> {
    if bytes.len() > limits.max_input_len() {
        return Err(Error::TooLarge {
            len: bytes.len(),
            max: limits.max_input_len(),
        });
    }
    Ok(())
}

/// One `Document` of a `DeviceResponse`. `deviceSigned` is not interpreted: verifying it needs
/// the session transcript of a presentation, which is outside an issuer's scope.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Document<'a> {
    /// `docType` as stated by the document (compared with the MSO on verification).
    pub doc_type: &'a str,
    /// The issuer-signed part.
    pub issuer_signed: IssuerSigned<'a>,
}

/// A received `DeviceResponse` (ISO 18013-5 §8.3.2.1.2.2), parsed but not verified.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DeviceResponse<'a> {
    /// `version`, e.g. "1.0".
    pub version: &'a str,
    /// The returned documents.
    pub documents: Vec<Document<'a>>,
    /// `status` (0 = OK).
    pub status: u64,
}

impl<'a> DeviceResponse<'a> {
    /// Parses a `DeviceResponse`, refusing trailing bytes. `documentErrors` and
    /// `deviceSigned` are skipped.
    ///
    /// # Errors
    /// Those of [`IssuerSigned::parse`], and [`Error::MissingField`] for a missing `version`,
    /// `status`, `docType` or `issuerSigned`.
    pub fn parse(bytes: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        check_len(bytes, limits)?;
        let mut r = Reader::new(bytes, "DeviceResponse");
        let (mut version, mut documents, mut status) = (None, Vec::new(), None);
        r.struct_map(limits.max_struct_entries(), |key, r| {
            match key {
                "version" => version = Some(r.text()?),
                "status" => status = Some(r.uint()?),
                "documents" => {
                    let len = r.array(limits.max_documents(), "documents")?;
                    for _ in 0..len {
                        documents.push(decode_document(r, limits)?);
                    }
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        r.finish()?;
        let missing = |field| Error::MissingField {
            structure: "DeviceResponse",
            field,
        };
        Ok(Self {
            version: version.ok_or_else(|| missing("version"))?,
            documents,
            status: status.ok_or_else(|| missing("status"))?,
        })
    }
}

fn decode_document<'a>(r: &mut Reader<'a>, limits: &Limits) -> Result<Document<'a>, Error> {
    let outer = r.enter("Document");
    let (mut doc_type, mut issuer_signed) = (None, None);
    r.struct_map(limits.max_struct_entries(), |key, r| {
        match key {
            "docType" => doc_type = Some(r.text()?),
            "issuerSigned" => issuer_signed = Some(IssuerSigned::decode(r, limits)?),
            _ => return Ok(false),
        }
        r.enter("Document");
        Ok(true)
    })?;
    r.enter(outer);
    let missing = |field| Error::MissingField {
        structure: "Document",
        field,
    };
    Ok(Document {
        doc_type: doc_type.ok_or_else(|| missing("docType"))?,
        issuer_signed: issuer_signed.ok_or_else(|| missing("issuerSigned"))?,
    })
}
