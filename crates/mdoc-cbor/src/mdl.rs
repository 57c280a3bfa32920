//! JSON to element values with the type knowledge of the mDL (ISO 18013-5 §7.2.1, Table 5) and
//! EU PID (PID Rulebook, mdoc encoding) name spaces.

use serde_json::Value as Json;

use crate::error::Error;
use crate::value::ElementValue;

/// The mDL name space.
pub const MDL_NAME_SPACE: &str = "org.iso.18013.5.1";
/// The mDL docType.
pub const MDL_DOC_TYPE: &str = "org.iso.18013.5.1.mDL";
/// The EU PID name space (also its docType).
pub const PID_NAME_SPACE: &str = "eu.europa.ec.eudi.pid.1";

/// mDL elements of type `full-date`.
const MDL_FULL_DATES: &[&str] = &["birth_date", "issue_date", "expiry_date"];
/// mDL elements of type `bstr` (images, biometric templates).
const MDL_BYTES: &[&str] = &[
    "portrait",
    "signature_usual_mark",
    "biometric_template_face",
    "biometric_template_finger",
    "biometric_template_signature_sign",
    "biometric_template_iris",
];
/// mDL elements of type `tdate`.
const MDL_TDATES: &[&str] = &["portrait_capture_date"];
/// PID elements of type `full-date`.
const PID_FULL_DATES: &[&str] = &["birth_date", "issuance_date", "expiry_date"];
/// PID elements of type `bstr`.
const PID_BYTES: &[&str] = &["portrait"];

/// Converts a JSON claim to an element value.
///
/// In the mDL and PID name spaces, elements whose type is `full-date` take `"YYYY-MM-DD"` text,
/// `tdate` elements take `"YYYY-MM-DDTHH:MM:SSZ"`, byte-string elements (portrait, signature,
/// biometric templates) take unpadded base64url text, and `driving_privileges` converts the
/// `issue_date`/`expiry_date` of each entry to
/// `full-date`. Everything else, and every other name space, uses
/// [`ElementValue::from_json`].
///
/// ```
/// use mdoc_cbor::{ElementValue, element_from_json};
/// let v = element_from_json("org.iso.18013.5.1", "birth_date", &serde_json::json!("1990-01-02"))?;
/// assert_eq!(v, ElementValue::full_date("1990-01-02")?);
/// # Ok::<(), mdoc_cbor::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidElement`] when a typed element is not text, a date is malformed or an image
/// is not base64url.
pub fn element_from_json(
    name_space: &str,
    identifier: &str,
    json: &Json,
) -> Result<ElementValue, Error> {
    let (full_dates, bytes, tdates): (&[&str], &[&str], &[&str]) = match name_space {
        MDL_NAME_SPACE => (MDL_FULL_DATES, MDL_BYTES, MDL_TDATES),
        PID_NAME_SPACE => (PID_FULL_DATES, PID_BYTES, &[]),
        _ => (&[], &[], &[]),
    };
    let invalid = |reason| Error::InvalidElement {
        identifier: identifier.to_owned(),
        reason,
    };
    let text = || {
        json.as_str()
            .ok_or_else(|| invalid("expected a JSON string"))
    };
    if full_dates.contains(&identifier) {
        ElementValue::full_date(text()?).map_err(|_| invalid("expected YYYY-MM-DD"))
    } else if tdates.contains(&identifier) {
        ElementValue::tdate(text()?).map_err(|_| invalid("expected YYYY-MM-DDTHH:MM:SSZ"))
    } else if bytes.contains(&identifier) {
        jose_core::base64url::decode(text()?)
            .map(ElementValue::Bytes)
            .ok_or_else(|| invalid("expected unpadded base64url"))
    } else if name_space == MDL_NAME_SPACE && identifier == "driving_privileges" {
        driving_privileges(json).map_err(invalid)
    } else {
        Ok(ElementValue::from_json(json))
    }
}

/// `driving_privileges`: an array of maps whose `issue_date` and `expiry_date` are `full-date`.
fn driving_privileges(json: &Json) -> Result<ElementValue, &'static str> {
    let Json::Array(entries) = json else {
        return Err("driving_privileges must be an array");
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Json::Object(members) = entry else {
            return Err("driving_privileges entries must be objects");
        };
        let mut map = Vec::with_capacity(members.len());
        for (key, value) in members {
            let converted = if key == "issue_date" || key == "expiry_date" {
                let text = value
                    .as_str()
                    .ok_or("driving_privileges dates must be text")?;
                ElementValue::full_date(text).map_err(|_| "expected YYYY-MM-DD")?
            } else {
                ElementValue::from_json(value)
            };
            map.push((ElementValue::Text(key.clone()), converted));
        }
        out.push(ElementValue::Map(map));
    }
    Ok(ElementValue::Array(out))
}
