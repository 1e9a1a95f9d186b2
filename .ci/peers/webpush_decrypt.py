#!/usr/bin/env python3
"""The browser's side of Web Push, done by an independent implementation
(http_ece over `cryptography`), for Switchboard's tests.

    webpush_decrypt.py keygen
        Makes a subscription as a browser would: prints one JSON object with
        "ua_private_b64" (the raw 32-byte P-256 scalar), "ua_public_b64" (the
        65-byte uncompressed point, the subscription's p256dh) and "auth_b64"
        (16 random bytes, its auth secret), all base64url without padding.

    webpush_decrypt.py decrypt < {"body_b64", "ua_private_b64", "auth_b64"}
        Decrypts an aes128gcm push message body (RFC 8291) and writes the
        plaintext bytes to standard output, exactly.

Exits non-zero with a message on standard error if anything is wrong.
"""
import base64
import json
import os
import sys

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keygen() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    print(json.dumps({
        "ua_private_b64": b64url(scalar),
        "ua_public_b64": b64url(public),
        "auth_b64": b64url(os.urandom(16)),
    }))


def decrypt() -> None:
    request = json.load(sys.stdin)
    scalar = int.from_bytes(unb64url(request["ua_private_b64"]), "big")
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    plaintext = http_ece.decrypt(
        unb64url(request["body_b64"]),
        private_key=private,
        auth_secret=unb64url(request["auth_b64"]),
        version="aes128gcm",
    )
    sys.stdout.buffer.write(plaintext)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    modes = {"keygen": keygen, "decrypt": decrypt}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.exit("usage: webpush_decrypt.py keygen | decrypt < request.json")
    modes[sys.argv[1]]()
