#!/usr/bin/env python3
"""Generates the SD-JWT VC issuer PKI for the `x5c` tests (files next to this script).

Run from this directory: `python3 make_x5c_pki.py` (needs `pip install cryptography`).
Keys are fresh on every run (commit all outputs together); validity dates are fixed so the
tests pin `now` to 2026-01-01T00:00:00Z (1767225600).

- x5c_root.pem (and .der): the trust anchor (P-256, self-signed CA), never sent in `x5c`
  (HAIP).
- x5c_inter.der: intermediate CA under the root.
- x5c_leaf.der + x5c_leaf.pk8: the issuer's signing certificate (digitalSignature) and its
  PKCS#8 key, valid 2025-06-01 .. 2026-06-01, SubjectAltName URI https://pid-issuer.example and
  DNS pid-issuer.example (SD-JWT VC: the leaf names the `iss`).
- x5c_expired_leaf.der + .pk8: the same issuer, valid 2024-06-01 .. 2025-06-01.
- x5c_other_root.der, x5c_other_leaf.der + .pk8: a leaf of another CA (not an anchor).
"""
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

D = dt.datetime
CA_FROM, CA_TO = D(2025, 1, 1), D(2035, 1, 1)
serial = [0x2000]


def key():
    return ec.generate_private_key(ec.SECP256R1())


def cert(cn, subject_key, issuer=None, issuer_key=None, ca=False, nb=CA_FROM, na=CA_TO,
         san=None):
    """issuer=None means self-signed; san: SubjectAltName entries of a leaf."""
    serial[0] += 1
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")])
    issuer_name, signer = (subject, subject_key) if issuer is None else (issuer.subject, issuer_key)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
         .public_key(subject_key.public_key()).serial_number(serial[0] * 7919)
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(
             digital_signature=not ca, content_commitment=False, key_encipherment=False,
             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
             encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                        critical=False))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if issuer is not None:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    return b.sign(signer, hashes.SHA256())


def save(name, c):
    with open(name, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.DER))


def save_key(name, k):
    with open(name, "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))


def main():
    root_k, inter_k = key(), key()
    root = cert("Test PID Root CA", root_k, ca=True)
    inter = cert("Test PID Issuing CA", inter_k, root, root_k, ca=True)
    with open("x5c_root.pem", "wb") as f:
        f.write(root.public_bytes(serialization.Encoding.PEM))
    save("x5c_root.der", root)
    save("x5c_inter.der", inter)

    leaf_k = key()
    names = [x509.UniformResourceIdentifier("https://pid-issuer.example"),
             x509.DNSName("pid-issuer.example")]
    save("x5c_leaf.der", cert("PID Issuer", leaf_k, inter, inter_k,
                              nb=D(2025, 6, 1), na=D(2026, 6, 1), san=names))
    save_key("x5c_leaf.pk8", leaf_k)

    expired_k = key()
    save("x5c_expired_leaf.der", cert("PID Issuer 2024", expired_k, inter, inter_k,
                                      nb=D(2024, 6, 1), na=D(2025, 6, 1), san=names))
    save_key("x5c_expired_leaf.pk8", expired_k)

    other_k, other_leaf_k = key(), key()
    other = cert("Other Root CA", other_k, ca=True)
    save("x5c_other_root.der", other)
    save("x5c_other_leaf.der", cert("Other Issuer", other_leaf_k, other, other_k,
                                    nb=D(2025, 6, 1), na=D(2026, 6, 1), san=names))
    save_key("x5c_other_leaf.pk8", other_leaf_k)


if __name__ == "__main__":
    main()
