#!/usr/bin/env python3
"""Checks a VAPID Authorization header (RFC 8292) with `cryptography`, as a
push service would, for Switchboard's tests.

    vapid_verify.py verify < {"authorization", "public_key_b64"}
        Parses `vapid t=<JWT>, k=<key>`, checks that k is the expected public
        key, that the JWT header is {"typ": "JWT", "alg": "ES256"} and that
        its ES256 signature (r || s, 64 bytes) verifies under k; prints the
        claims as JSON (keys sorted).

    vapid_verify.py keygen
        Prints a fresh P-256 private key as PKCS#8 PEM, as an operator's
        tools would make one, to check that Switchboard reads it.

Exits non-zero with a message on standard error if anything is wrong.
"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify() -> None:
    request = json.load(sys.stdin)
    value = request["authorization"]
    if not value.startswith("vapid "):
        sys.exit("not a vapid Authorization value")
    params = dict(
        part.strip().split("=", 1) for part in value[len("vapid "):].split(",")
    )
    if set(params) != {"t", "k"}:
        sys.exit(f"expected the parameters t and k, got {sorted(params)}")
    if params["k"] != request["public_key_b64"]:
        sys.exit("k is not the expected public key")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(params["k"]))
    header_b64, claims_b64, signature_b64 = params["t"].split(".")
    header = json.loads(unb64url(header_b64))
    if header != {"typ": "JWT", "alg": "ES256"}:
        sys.exit(f"unexpected JWT header {header}")
    signature = unb64url(signature_b64)
    if len(signature) != 64:
        sys.exit(f"an ES256 signature is 64 bytes, got {len(signature)}")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        sys.exit("the JWT signature does not verify")
    print(json.dumps(json.loads(unb64url(claims_b64)), sort_keys=True))


def keygen() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    print(json.dumps({
        "pem": pem.decode("ascii"),
        "public_key_b64": base64.urlsafe_b64encode(public).rstrip(b"=").decode("ascii"),
    }))


if __name__ == "__main__":
    modes = {"verify": verify, "keygen": keygen}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.exit("usage: vapid_verify.py verify < request.json | keygen")
    modes[sys.argv[1]]()
