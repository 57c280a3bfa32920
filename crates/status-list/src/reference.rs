//! The Referenced Token's `status` claim (§6) and the relying-party status check (§8.3).

use jose_core::{PublicJwk, UnixTime};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::status::{Status, StatusIndex};
use crate::token::{StatusListToken, VerifyOptions};

/// `status.status_list`: where a Referenced Token's status lives (§6.2).
///
/// Deserialisation is strict: exactly the members `idx` (a non-negative integer) and `uri` (a
/// non-empty string), each once.
///
/// ```
/// use status_list::{StatusClaim, StatusIndex, StatusListReference};
/// let claims = serde_json::json!({"status": {"status_list": {
///     "idx": 7, "uri": "https://example.com/statuslists/1"}}});
/// let reference = StatusListReference::from_claims(claims.as_object().unwrap())?;
/// assert_eq!(reference.idx(), StatusIndex::new(7));
/// let claim = StatusClaim::new(reference.clone());
/// assert_eq!(serde_json::to_value(&claim).unwrap(), claims["status"]);
/// # Ok::<(), status_list::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusListReference {
    idx: StatusIndex,
    #[serde(deserialize_with = "non_empty")]
    uri: String,
}

fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    if s.is_empty() {
        return Err(serde::de::Error::custom("uri must not be empty"));
    }
    Ok(s)
}

impl StatusListReference {
    /// A reference to entry `idx` of the list published at `uri`.
    #[must_use]
    pub fn new(idx: StatusIndex, uri: impl Into<String>) -> Self {
        Self {
            idx,
            uri: uri.into(),
        }
    }

    /// `idx`.
    #[must_use]
    pub const fn idx(&self) -> StatusIndex {
        self.idx
    }

    /// `uri`.
    #[must_use]
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Reads `status.status_list` from a Referenced Token's verified claims.
    ///
    /// # Errors
    /// [`Error::MissingClaim`] / [`Error::InvalidClaim`] naming `status`, `status.status_list`,
    /// `status.status_list.idx` or `status.status_list.uri`.
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Self, Error> {
        let status = match claims.get("status") {
            None => return Err(Error::MissingClaim { name: "status" }),
            Some(Value::Object(map)) => map,
            Some(_) => return Err(Error::InvalidClaim { name: "status" }),
        };
        let list = match status.get("status_list") {
            None => {
                return Err(Error::MissingClaim {
                    name: "status.status_list",
                });
            }
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "status.status_list",
                });
            }
        };
        Self::from_map(list)
    }

    /// Reads the `status_list` object itself (`{"idx": .., "uri": ..}`).
    ///
    /// # Errors
    /// As [`Self::from_claims`]; any member other than `idx` and `uri` is
    /// [`Error::InvalidClaim`] `status.status_list`.
    pub fn from_map(list: &Map<String, Value>) -> Result<Self, Error> {
        if list.keys().any(|k| k != "idx" && k != "uri") {
            return Err(Error::InvalidClaim {
                name: "status.status_list",
            });
        }
        let idx = match list.get("idx") {
            None => {
                return Err(Error::MissingClaim {
                    name: "status.status_list.idx",
                });
            }
            Some(v) => v.as_u64().ok_or(Error::InvalidClaim {
                name: "status.status_list.idx",
            })?,
        };
        let uri = match list.get("uri") {
            None => {
                return Err(Error::MissingClaim {
                    name: "status.status_list.uri",
                });
            }
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "status.status_list.uri",
                });
            }
        };
        Ok(Self::new(StatusIndex::new(idx), uri))
    }

    /// The relying-party check (§8.3 steps 4–8): verifies the Status List Token JWT `token`
    /// (fetched from [`Self::uri`]) with `key`, requires its `sub` to equal `uri`, checks its
    /// times at `now`, inflates the list under the cap and returns the status at `idx`.
    ///
    /// Validate the Referenced Token itself first (step 1); its own expiry always wins over a
    /// VALID status here.
    ///
    /// # Errors
    /// Those of [`StatusListToken::verify_jwt`], then [`Error::IndexOutOfRange`].
    pub fn check_jwt(
        &self,
        token: &[u8],
        key: &PublicJwk,
        options: &VerifyOptions<'_>,
        now: UnixTime,
    ) -> Result<Status, Error> {
        let verified = StatusListToken::verify_jwt(token, &self.uri, key, options, now)?;
        verified.list().get(self.idx)
    }
}

/// The `status` claim of a Referenced Token (§6.1): `{"status_list": {...}}`.
///
/// `status` is an extension point (the "JWT Status Mechanisms" registry): other mechanisms
/// may sit next to `status_list`; they are ignored on input and not produced.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusClaim {
    status_list: StatusListReference,
}

impl StatusClaim {
    /// A `status` claim holding a `status_list` reference.
    #[must_use]
    pub const fn new(status_list: StatusListReference) -> Self {
        Self { status_list }
    }

    /// The `status_list` reference.
    #[must_use]
    pub const fn status_list(&self) -> &StatusListReference {
        &self.status_list
    }

    /// The claim as a JSON value, to insert under `"status"` in a token's claims.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut list = Map::new();
        list.insert("idx".into(), Value::from(self.status_list.idx.get()));
        list.insert("uri".into(), Value::from(self.status_list.uri.as_str()));
        let mut status = Map::new();
        status.insert("status_list".into(), Value::Object(list));
        Value::Object(status)
    }
}
