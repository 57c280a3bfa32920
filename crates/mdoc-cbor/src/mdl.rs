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

/// The elements of one name space whose JSON form is checked or converted.
struct Types {
    /// `full-date` elements, from `"YYYY-MM-DD"` text.
    full_dates: &'static [&'static str],
    /// Elements that are a `full-date` or a `tdate`, whichever form the text has.
    either_dates: &'static [&'static str],
    /// `bstr` elements (images, biometric templates), from unpadded base64url text.
    bytes: &'static [&'static str],
    /// `tdate` elements, from `"YYYY-MM-DDTHH:MM:SSZ"` text.
    tdates: &'static [&'static str],
    /// `uint` elements.
    uints: &'static [&'static str],
    /// `tstr` elements.
    texts: &'static [&'static str],
    /// Whether `age_over_NN` elements are `bool`.
    age_over: bool,
}

/// The mDL name space (ISO 18013-5 §7.2.1, Table 5).
const MDL_TYPES: Types = Types {
    full_dates: &["birth_date"],
    either_dates: &["issue_date", "expiry_date"],
    bytes: &[
        "portrait",
        "signature_usual_mark",
        "biometric_template_face",
        "biometric_template_finger",
        "biometric_template_signature_sign",
        "biometric_template_iris",
    ],
    tdates: &["portrait_capture_date"],
    uints: &["sex", "height", "weight", "age_in_years", "age_birth_year"],
    texts: &[
        "family_name",
        "given_name",
        "issuing_country",
        "issuing_authority",
        "document_number",
        "un_distinguishing_sign",
        "administrative_number",
        "eye_colour",
        "hair_colour",
        "birth_place",
        "resident_address",
        "issuing_jurisdiction",
        "nationality",
        "resident_city",
        "resident_state",
        "resident_postal_code",
        "resident_country",
        "family_name_national_character",
        "given_name_national_character",
    ],
    age_over: true,
};

/// The EU PID name space (PID Rulebook, mdoc encoding): the elements whose type is plain.
const PID_TYPES: Types = Types {
    full_dates: &["birth_date"],
    either_dates: &["issuance_date", "expiry_date"],
    bytes: &["portrait"],
    tdates: &[],
    uints: &["age_in_years", "age_birth_year"],
    texts: &[
        "family_name",
        "given_name",
        "issuing_authority",
        "issuing_country",
    ],
    age_over: true,
};

/// Any other name space: values map from plain JSON.
const NO_TYPES: Types = Types {
    full_dates: &[],
    either_dates: &[],
    bytes: &[],
    tdates: &[],
    uints: &[],
    texts: &[],
    age_over: false,
};

/// Whether `identifier` is an `age_over_NN` element (two digits).
fn is_age_over(identifier: &str) -> bool {
    identifier
        .strip_prefix("age_over_")
        .is_some_and(|nn| nn.len() == 2 && nn.bytes().all(|b| b.is_ascii_digit()))
}

/// Converts a JSON claim to an element value.
///
/// In the mDL and PID name spaces, elements whose type is `full-date` take `"YYYY-MM-DD"` text,
/// `tdate` elements take `"YYYY-MM-DDTHH:MM:SSZ"`, the issue and expiry dates (`tdate` or
/// `full-date` in ISO 18013-5 Table 5) either form, byte-string elements (portrait, signature,
/// biometric templates) take unpadded base64url text, and `driving_privileges` converts the
/// `issue_date`/`expiry_date` of each entry to `full-date`; `age_over_NN` must be a JSON
/// boolean, the `uint` elements (`age_in_years`, `age_birth_year`, and for the mDL `sex`,
/// `height`, `weight`) unsigned integers, and the `tstr` elements (names, document number,
/// issuing country and authority, ...) strings, so that no mistyped element is signed.
/// Everything else, and every other name space, uses [`ElementValue::from_json`].
///
/// ```
/// use mdoc_cbor::{ElementValue, element_from_json};
/// let v = element_from_json("org.iso.18013.5.1", "birth_date", &serde_json::json!("1990-01-02"))?;
/// assert_eq!(v, ElementValue::full_date("1990-01-02")?);
/// let yes = serde_json::json!("yes");
/// assert!(element_from_json("org.iso.18013.5.1", "age_over_18", &yes).is_err());
/// # Ok::<(), mdoc_cbor::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidElement`] when a typed element has another JSON type, a date is malformed
/// or an image is not base64url.
pub fn element_from_json(
    name_space: &str,
    identifier: &str,
    json: &Json,
) -> Result<ElementValue, Error> {
    let types = match name_space {
        MDL_NAME_SPACE => &MDL_TYPES,
        PID_NAME_SPACE => &PID_TYPES,
        _ => &NO_TYPES,
    };
    let invalid = |reason| Error::InvalidElement {
        identifier: identifier.to_owned(),
        reason,
    };
    let text = || {
        json.as_str()
            .ok_or_else(|| invalid("expected a JSON string"))
    };
    if types.full_dates.contains(&identifier) {
        ElementValue::full_date(text()?).map_err(|_| invalid("expected YYYY-MM-DD"))
    } else if types.either_dates.contains(&identifier) {
        let date = text()?;
        ElementValue::full_date(date)
            .or_else(|_| ElementValue::tdate(date))
            .map_err(|_| invalid("expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"))
    } else if types.tdates.contains(&identifier) {
        ElementValue::tdate(text()?).map_err(|_| invalid("expected YYYY-MM-DDTHH:MM:SSZ"))
    } else if types.bytes.contains(&identifier) {
        jose_core::base64url::decode(text()?)
            .map(ElementValue::Bytes)
            .ok_or_else(|| invalid("expected unpadded base64url"))
    } else if types.age_over && is_age_over(identifier) {
        json.as_bool()
            .map(ElementValue::Bool)
            .ok_or_else(|| invalid("expected a JSON boolean"))
    } else if types.uints.contains(&identifier) {
        json.as_u64()
            .map(|n| ElementValue::Integer(i128::from(n)))
            .ok_or_else(|| invalid("expected an unsigned integer"))
    } else if types.texts.contains(&identifier) {
        text().map(|t| ElementValue::Text(t.to_owned()))
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
