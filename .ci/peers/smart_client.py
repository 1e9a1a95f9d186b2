"""An EHR system as a SMART Backend Services client, for the FHIR tests:
PyJWT (with cryptography) makes the client's keys and signs its
assertions, independently of the server's own JOSE code.

  smart_client.py keys DIR        writes DIR/es384.pem and DIR/rs384.pem
                                  (private) and prints the public JWK Set
  smart_client.py sign PEM KID ALG ISS AUD EXP JTI [SUB]
                                  prints an assertion expiring at EXP
                                  (seconds since the epoch: the tests give
                                  it from the server's test clock)
"""
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def keys(out):
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(f"{out}/es384.pem", "wb") as f:
        f.write(pem(ec_key))
    with open(f"{out}/rs384.pem", "wb") as f:
        f.write(pem(rsa_key))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    ec_jwk.update({"kid": "ec-1", "alg": "ES384", "use": "sig"})
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    rsa_jwk.update({"kid": "rsa-1", "alg": "RS384", "use": "sig"})
    print(json.dumps({"keys": [ec_jwk, rsa_jwk]}))


def sign(path, kid, alg, iss, aud, exp, jti, sub=None):
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    claims = {"iss": iss, "sub": sub or iss, "aud": aud, "exp": int(exp), "jti": jti}
    print(jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"}))


if __name__ == "__main__":
    if sys.argv[1] == "keys":
        keys(sys.argv[2])
    else:
        sign(*sys.argv[2:])
