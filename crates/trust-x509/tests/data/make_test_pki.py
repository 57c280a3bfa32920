#!/usr/bin/env python3
"""Generates the trust-x509 test PKI (DER files next to this script).

Run from this directory: `python3 make_test_pki.py` (needs `pip install cryptography`).
Keys are fresh on every run; validity dates are fixed so the tests can pin `now` to
2026-01-01T00:00:00Z (1767225600). Re-running changes every file; commit them together.
"""
import datetime as dt
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

D = dt.datetime
CA_FROM, CA_TO = D(2025, 1, 1), D(2035, 1, 1)
LEAF_FROM, LEAF_TO = D(2025, 6, 1), D(2026, 6, 1)
MDOC_DS = ObjectIdentifier("1.0.18013.5.1.2")
serial = [0x1000]


def name(cn, c=None, st=None):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if c:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, c))
    if st:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, st))
    return x509.Name(attrs)


def p256():
    return ec.generate_private_key(ec.SECP256R1())


def cert(subject, key, issuer=None, issuer_key=None, ca=False, path_len=None, bc=True,
         ku="leaf", eku=None, nb=LEAF_FROM, na=LEAF_TO, hash_alg=hashes.SHA256(), pss=False):
    """issuer=None means self-signed. ku: 'leaf' (digitalSignature), 'ca', 'kenc' or None."""
    serial[0] += 1
    issuer_name, signer = (subject, key) if issuer is None else (issuer.subject, issuer_key)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(serial[0] * 7919)
         .not_valid_before(nb).not_valid_after(na))
    if bc:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), critical=True)
    kus = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
               data_encipherment=False, key_agreement=False, key_cert_sign=False,
               crl_sign=False, encipher_only=False, decipher_only=False)
    if ku == "leaf":
        kus["digital_signature"] = True
    elif ku == "ca":
        kus["key_cert_sign"] = kus["crl_sign"] = True
    elif ku == "kagree":
        kus["key_agreement"] = True
    if ku:
        b = b.add_extension(x509.KeyUsage(**kus), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=eku == [MDOC_DS])
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if issuer is not None:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    if isinstance(signer, ed25519.Ed25519PrivateKey):
        c = b.sign(signer, None)
    elif pss:
        c = b.sign(signer, hash_alg, rsa_padding=padding.PSS(
            mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size))
    else:
        c = b.sign(signer, hash_alg)
    return c


def save(fname, c):
    with open(fname, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.DER))


def main():
    root_k, inter_k, leaf_k = p256(), p256(), p256()
    root = cert(name("Test Root CA"), root_k, ca=True, ku="ca", nb=CA_FROM, na=CA_TO)
    inter = cert(name("Test Intermediate CA"), inter_k, root, root_k, ca=True, ku="ca",
                 nb=CA_FROM, na=CA_TO)
    leaf = cert(name("Test Leaf"), leaf_k, inter, inter_k,
                eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    save("root.der", root)
    save("inter.der", inter)
    save("leaf.der", leaf)
    with open("root.pem", "wb") as f:
        f.write(root.public_bytes(serialization.Encoding.PEM))
    save("leaf_no_eku.der", cert(name("Leaf Without EKU"), p256(), inter, inter_k))
    save("leaf_no_digital_signature.der",
         cert(name("Leaf Key Agreement"), p256(), inter, inter_k, ku="kagree"))

    exp_k = p256()
    expired = cert(name("Expired Intermediate CA"), exp_k, root, root_k, ca=True, ku="ca",
                   nb=D(2020, 1, 1), na=D(2021, 1, 1))
    save("inter_expired.der", expired)
    save("leaf_under_expired.der", cert(name("Leaf Under Expired"), p256(), expired, exp_k))

    nca_k = p256()
    not_ca = cert(name("Not A CA"), nca_k, root, root_k, ca=False, ku="leaf",
                  nb=CA_FROM, na=CA_TO)
    save("inter_not_ca.der", not_ca)
    save("leaf_under_not_ca.der", cert(name("Leaf Under Not A CA"), p256(), not_ca, nca_k))

    pl0_k, sub_k = p256(), p256()
    pl0 = cert(name("PathLen0 CA"), pl0_k, root, root_k, ca=True, path_len=0, ku="ca",
               nb=CA_FROM, na=CA_TO)
    sub = cert(name("Sub CA Under PathLen0"), sub_k, pl0, pl0_k, ca=True, ku="ca",
               nb=CA_FROM, na=CA_TO)
    save("inter_pathlen0.der", pl0)
    save("inter_sub.der", sub)
    save("leaf_under_sub.der", cert(name("Leaf Under Sub"), p256(), sub, sub_k))

    other_k = p256()
    other = cert(name("Other Root CA"), other_k, ca=True, ku="ca", nb=CA_FROM, na=CA_TO)
    save("other_root.der", other)
    save("leaf_other_root.der", cert(name("Leaf Of Other Root"), p256(), other, other_k))

    # Algorithms: RSA-2048 root (PKCS#1 SHA-256) -> P-384 CA (RSA-PSS SHA-256) -> Ed25519 leaf
    # (ECDSA P-384 SHA-384).
    rsa_k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p384_k = ec.generate_private_key(ec.SECP384R1())
    ed_k = ed25519.Ed25519PrivateKey.generate()
    rsa_root = cert(name("RSA Root CA"), rsa_k, ca=True, ku="ca", nb=CA_FROM, na=CA_TO)
    p384 = cert(name("P-384 CA"), p384_k, rsa_root, rsa_k, ca=True, ku="ca", nb=CA_FROM,
                na=CA_TO, pss=True)
    save("rsa_root.der", rsa_root)
    save("p384_inter_pss.der", p384)
    save("ed25519_leaf.der", cert(name("Ed25519 Leaf"), ed_k, p384, p384_k,
                                  hash_alg=hashes.SHA384()))
    # Unsupported: a P-521 root signing with ECDSA P-521/SHA-512.
    p521_k = ec.generate_private_key(ec.SECP521R1())
    p521_root = cert(name("P-521 Root CA"), p521_k, ca=True, ku="ca", nb=CA_FROM, na=CA_TO,
                     hash_alg=hashes.SHA512())
    save("p521_root.der", p521_root)
    save("leaf_under_p521.der", cert(name("Leaf Under P-521"), p256(), p521_root, p521_k,
                                     hash_alg=hashes.SHA512()))

    mixed_curve_and_hash()

    # ISO 18013-5 IACA -> DS.
    iaca_k = p256()
    iaca = cert(name("Test IACA", "UT"), iaca_k, ca=True, path_len=0, ku="ca",
                nb=CA_FROM, na=CA_TO)
    save("iaca.der", iaca)
    save("ds.der", cert(name("Test DS", "UT"), p256(), iaca, iaca_k, bc=False, eku=[MDOC_DS]))
    save("ds_wrong_country.der",
         cert(name("Test DS", "XX"), p256(), iaca, iaca_k, bc=False, eku=[MDOC_DS]))
    save("ds_long_validity.der",
         cert(name("Test DS", "UT"), p256(), iaca, iaca_k, bc=False, eku=[MDOC_DS],
              nb=D(2025, 6, 1), na=D(2027, 1, 22)))

    # Benchmark inputs: the two signatures of leaf <- inter <- root, with issuer points.
    def link(child, issuer_key):
        point = issuer_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"tbs": child.tbs_certificate_bytes.hex(), "sig": child.signature.hex(),
                "issuer_point": point.hex()}
    with open("bench_links.json", "w") as f:
        json.dump([link(leaf, inter_k), link(inter, root_k)], f, indent=1)
        f.write("\n")


def mixed_curve_and_hash():
    """ECDSA with a hash that is not its curve's usual one (RFC 5758 allows any pairing): a P-384
    root signing with SHA-256, as some test CAs do, and a P-256 root signing with SHA-384. Each
    is self-contained, so `python3 make_test_pki.py mixed` makes only these four files."""
    p384_k = ec.generate_private_key(ec.SECP384R1())
    p384_root = cert(name("P-384 SHA-256 Root CA"), p384_k, ca=True, ku="ca", nb=CA_FROM,
                     na=CA_TO)
    save("p384_sha256_root.der", p384_root)
    save("leaf_under_p384_sha256.der",
         cert(name("Leaf Under P-384 SHA-256"), p256(), p384_root, p384_k))
    p256_k = p256()
    p256_root = cert(name("P-256 SHA-384 Root CA"), p256_k, ca=True, ku="ca", nb=CA_FROM,
                     na=CA_TO, hash_alg=hashes.SHA384())
    save("p256_sha384_root.der", p256_root)
    save("leaf_under_p256_sha384.der",
         cert(name("Leaf Under P-256 SHA-384"), p256(), p256_root, p256_k,
              hash_alg=hashes.SHA384()))


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["mixed"]:
        mixed_curve_and_hash()
    else:
        main()
