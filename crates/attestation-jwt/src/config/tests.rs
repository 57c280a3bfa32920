use super::*;

#[test]
#[cfg(feature = "x509")]
fn pem_bundles_yield_every_certificate() {
    let mut out = Vec::new();
    let text = "junk\n-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n\
                -----BEGIN CERTIFICATE-----\r\nMAEA\r\n-----END CERTIFICATE-----";
    parse_pem_certificates(text, &mut out).unwrap();
    assert_eq!(out, vec![vec![0x30, 0x00], vec![0x30, 0x01, 0x00]]);
}

#[test]
#[cfg(feature = "x509")]
fn unterminated_or_empty_pem_is_refused() {
    let mut out = Vec::new();
    assert_eq!(
        parse_pem_certificates("-----BEGIN CERTIFICATE-----\nMAA=\n", &mut out),
        Err(ConfigError::InvalidPem { index: 0 })
    );
    assert_eq!(
        parse_pem_certificates(
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
            &mut out
        ),
        Err(ConfigError::InvalidPem { index: 0 })
    );
    assert_eq!(
        parse_pem_certificates(
            "-----BEGIN CERTIFICATE-----\nM@A=\n-----END CERTIFICATE-----",
            &mut out
        ),
        Err(ConfigError::InvalidPem { index: 0 })
    );
}

#[test]
#[cfg(feature = "x509")]
fn root_count_is_bounded() {
    let one = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    let mut out = Vec::new();
    assert_eq!(
        parse_pem_certificates(&one.repeat(DEFAULT_MAX_TRUSTED_ROOTS + 1), &mut out),
        Err(ConfigError::TooManyRoots {
            max: DEFAULT_MAX_TRUSTED_ROOTS
        })
    );
}

#[test]
fn oversized_configuration_is_refused_before_parsing() {
    let text = vec![b' '; DEFAULT_MAX_CONFIG_LEN + 1];
    assert_eq!(
        ClientAttestationConfig::from_json(&text),
        Err(crate::Error::Config(ConfigError::TooLong {
            len: DEFAULT_MAX_CONFIG_LEN + 1,
            max: DEFAULT_MAX_CONFIG_LEN
        }))
    );
}
