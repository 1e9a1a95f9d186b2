"""Checks a legal export's ZIP archive independently of the server, as a
lawyer's expert would: Python's zipfile opens it (every entry's CRC-32 is
checked on read), every file MANIFEST.txt lists is there with that size and
SHA-256 and nothing else is, MANIFEST.sig is an Ed25519 signature of the
manifest's bytes by the public key given (`switchboard audit public-key`,
verified with `cryptography`), and pypdf reads the PDF's text.

  export_check.py ARCHIVE PUBLIC_KEY_HEX|- OUT_DIR

Prints the PDF's text and exits 0, or prints the problem and exits 1.
The FHIR Bundle is left in OUT_DIR/record.fhir.json for fhir_validate.py.
"""
import base64
import hashlib
import os
import sys
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader


def fail(why):
    print(why)
    sys.exit(1)


def main(archive, public_key, out):
    with zipfile.ZipFile(archive) as z:
        bad = z.testzip()
        if bad is not None:
            fail(f"{bad}: its CRC-32 does not match")
        names = z.namelist()
        manifest = z.read("MANIFEST.txt")
        sig = dict(line.split(" ", 1) for line in z.read("MANIFEST.sig").decode().splitlines() if " " in line)
        # "-": the key MANIFEST.sig names (the browser test's weaker check;
        # the API test gives the deployment's key from the command line).
        given = base64.b64decode(sig["public-key"]) if public_key == "-" else bytes.fromhex(public_key)
        if base64.b64decode(sig["public-key"]) != given:
            fail("MANIFEST.sig names another public key")
        Ed25519PublicKey.from_public_bytes(given).verify(base64.b64decode(sig["signature"]), manifest)
        lines = manifest.decode().splitlines()
        if lines[0] != "switchboard-export-manifest v1":
            fail("not a manifest")
        count = int(lines[6].split(" ")[1])
        listed = lines[7:]
        if len(listed) != count:
            fail("the manifest's count is wrong")
        seen = set()
        for line in listed:
            sha, size, name = line.split("  ", 2)
            data = z.read(name)
            if len(data) != int(size) or hashlib.sha256(data).hexdigest() != sha:
                fail(f"{name} is not what the manifest says")
            seen.add(name)
        extra = set(names) - seen - {"MANIFEST.txt", "MANIFEST.sig"}
        if extra:
            fail(f"files the manifest does not list: {sorted(extra)}")
        with open(os.path.join(out, "record.fhir.json"), "wb") as f:
            f.write(z.read("record.fhir.json"))
        with open(os.path.join(out, "record.pdf"), "wb") as f:
            f.write(z.read("record.pdf"))
    reader = PdfReader(os.path.join(out, "record.pdf"))
    print("\n".join(page.extract_text() for page in reader.pages))


if __name__ == "__main__":
    main(*sys.argv[1:])
