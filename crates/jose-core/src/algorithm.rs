//! JOSE signature algorithms and their COSE identifiers.

use crate::error::{Error, short_text};

/// A public-key signature algorithm this crate can verify.
///
/// The JOSE names come from RFC 7518 §3.1 and RFC 8037 §3.1, the COSE identifiers from the IANA
/// "COSE Algorithms" registry (RFC 9053, RFC 9864). This is the workspace's one algorithm table:
/// JWS headers, status-list CWTs and mdoc `issuerAuth` all map identifiers through it.
///
/// **Fully specified COSE identifiers (RFC 9864).** In COSE, `-7` "ES256" names ECDSA with
/// SHA-256 on *any* curve; `-9` "ESP256" names ECDSA with SHA-256 on P-256 only, which is exactly
/// what JOSE `ES256` (and this crate's [`Algorithm::Es256`], whose key must be a P-256 key) means.
/// So on input `-9`, `-51` and `-52` are aliases of [`Es256`](Self::Es256),
/// [`Es384`](Self::Es384) and [`Es512`](Self::Es512), as `-19` "Ed25519" is of
/// [`EdDsa`](Self::EdDsa); verification is the same and the key's curve is checked either way.
/// On output [`cose_id`](Self::cose_id) writes the polymorphic identifiers (`-7`, `-35`, `-36`,
/// `-8`), which ISO 18013-5 and the Token Status List examples use and every verifier accepts.
/// `none` and the HMAC algorithms are deliberately not
/// representable: where a public key is expected they are refused while parsing the name
/// ([`Error::AlgorithmNone`], [`Error::SymmetricAlgorithm`]).
///
/// ```
/// use jose_core::Algorithm;
/// let alg = Algorithm::from_jose_name("ES256")?;
/// assert_eq!(alg.cose_id(), -7);
/// assert_eq!(Algorithm::from_cose_id(-7), Some(alg));
/// assert!(Algorithm::from_jose_name("none").is_err());
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// EdDSA with Ed25519 (RFC 8037). Ed448 is not supported.
    EdDsa,
    /// ECDSA P-256 with SHA-256, signature as 64-byte r||s.
    Es256,
    /// ECDSA P-384 with SHA-384, signature as 96-byte r||s.
    Es384,
    /// ECDSA P-521 with SHA-512, signature as 132-byte r||s (feature `es512`).
    Es512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256, 2048 bits and up (verification only).
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048 bits and up (verification only).
    Rs256,
}

/// Every algorithm, in a fixed order (handy for allow-lists and metadata).
pub const ALL_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Es256,
    Algorithm::Es384,
    Algorithm::Es512,
    Algorithm::EdDsa,
    Algorithm::Ps256,
    Algorithm::Rs256,
];

impl Algorithm {
    /// Parses a JOSE `alg` value.
    ///
    /// # Errors
    /// [`Error::AlgorithmNone`] for `none` (any case), [`Error::SymmetricAlgorithm`] for `HS*`,
    /// [`Error::UnsupportedAlgorithm`] for anything else that is not one of the variants.
    pub fn from_jose_name(name: &str) -> Result<Self, Error> {
        Ok(match name {
            "EdDSA" | "Ed25519" => Self::EdDsa,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "ES512" => Self::Es512,
            "PS256" => Self::Ps256,
            "RS256" => Self::Rs256,
            n if n.eq_ignore_ascii_case("none") => return Err(Error::AlgorithmNone),
            n if n.starts_with("HS") => {
                return Err(Error::SymmetricAlgorithm {
                    name: short_text(n),
                });
            }
            n => {
                return Err(Error::UnsupportedAlgorithm {
                    name: short_text(n),
                });
            }
        })
    }

    /// The JOSE `alg` name. `EdDsa` is written as `EdDSA` (RFC 8037); the fully specified
    /// `Ed25519` name (RFC 9864) is accepted on input.
    #[must_use]
    pub const fn jose_name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::Ps256 => "PS256",
            Self::Rs256 => "RS256",
        }
    }

    /// The COSE algorithm identifier (IANA "COSE Algorithms").
    #[must_use]
    pub const fn cose_id(self) -> i64 {
        match self {
            Self::EdDsa => -8,
            Self::Es256 => -7,
            Self::Es384 => -35,
            Self::Es512 => -36,
            Self::Ps256 => -37,
            Self::Rs256 => -257,
        }
    }

    /// The algorithm with this COSE identifier, if it is one of ours. The fully specified
    /// identifiers of RFC 9864 (`-9` ESP256, `-51` ESP384, `-52` ESP512, `-19` Ed25519) map to
    /// the same algorithms as `-7`, `-35`, `-36` and `-8` (see the type's documentation).
    ///
    /// ```
    /// use jose_core::Algorithm;
    /// assert_eq!(Algorithm::from_cose_id(-9), Some(Algorithm::Es256));
    /// assert_eq!(Algorithm::from_cose_id(-7), Some(Algorithm::Es256));
    /// assert_eq!(Algorithm::Es256.cose_id(), -7);
    /// ```
    #[must_use]
    pub const fn from_cose_id(id: i64) -> Option<Self> {
        Some(match id {
            -8 | -19 => Self::EdDsa,
            -7 | -9 => Self::Es256,
            -35 | -51 => Self::Es384,
            -36 | -52 => Self::Es512,
            -37 => Self::Ps256,
            -257 => Self::Rs256,
            _ => return None,
        })
    }

    /// The exact signature length for fixed-length algorithms (ECDSA r||s, Ed25519).
    #[must_use]
    pub const fn fixed_signature_len(self) -> Option<usize> {
        match self {
            Self::EdDsa | Self::Es256 => Some(64),
            Self::Es384 => Some(96),
            Self::Es512 => Some(132),
            Self::Ps256 | Self::Rs256 => None,
        }
    }
}

impl core::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.jose_name())
    }
}

impl core::str::FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_jose_name(s)
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.jose_name())
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(deserializer)?;
        Self::from_jose_name(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_cose_ids_round_trip() {
        for alg in ALL_ALGORITHMS {
            assert_eq!(Algorithm::from_jose_name(alg.jose_name()).unwrap(), *alg);
            assert_eq!(Algorithm::from_cose_id(alg.cose_id()), Some(*alg));
        }
    }

    #[test]
    fn none_and_hmac_are_refused() {
        assert_eq!(Algorithm::from_jose_name("none"), Err(Error::AlgorithmNone));
        assert_eq!(Algorithm::from_jose_name("NONE"), Err(Error::AlgorithmNone));
        assert_eq!(
            Algorithm::from_jose_name("HS256"),
            Err(Error::SymmetricAlgorithm {
                name: "HS256".into()
            })
        );
        assert_eq!(
            Algorithm::from_jose_name("ES256K"),
            Err(Error::UnsupportedAlgorithm {
                name: "ES256K".into()
            })
        );
    }

    #[test]
    fn cose_ids_match_the_iana_registry() {
        assert_eq!(Algorithm::Es256.cose_id(), -7);
        assert_eq!(Algorithm::Es384.cose_id(), -35);
        assert_eq!(Algorithm::Es512.cose_id(), -36);
        assert_eq!(Algorithm::EdDsa.cose_id(), -8);
        assert_eq!(Algorithm::Ps256.cose_id(), -37);
        assert_eq!(Algorithm::Rs256.cose_id(), -257);
    }

    #[test]
    fn fully_specified_cose_ids_are_aliases_on_input() {
        let table = [
            (-7, Some(Algorithm::Es256)),
            (-9, Some(Algorithm::Es256)),
            (-35, Some(Algorithm::Es384)),
            (-51, Some(Algorithm::Es384)),
            (-36, Some(Algorithm::Es512)),
            (-52, Some(Algorithm::Es512)),
            (-8, Some(Algorithm::EdDsa)),
            (-19, Some(Algorithm::EdDsa)),
            (-37, Some(Algorithm::Ps256)),
            (-257, Some(Algorithm::Rs256)),
            // ES256K, Ed448, PS384, HMAC 256/256, and an unassigned id.
            (-47, None),
            (-53, None),
            (-38, None),
            (5, None),
            (0, None),
        ];
        for (id, alg) in table {
            assert_eq!(Algorithm::from_cose_id(id), alg, "COSE id {id}");
        }
    }
}
