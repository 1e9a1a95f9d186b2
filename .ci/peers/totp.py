"""An authenticator app for the second-factor tests, on pyotp (an
independent RFC 6238 implementation).

    totp.py uri <otpauth-uri> <unix-seconds>
        reads the URI as an app does and prints JSON: the issuer, the
        account name, digits, period, algorithm and the code at that time.
"""
import json
import sys

import pyotp


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] != "uri":
        sys.exit(__doc__)
    uri, at = sys.argv[2], int(sys.argv[3])
    totp = pyotp.parse_uri(uri)
    print(json.dumps({
        "issuer": totp.issuer,
        "name": totp.name,
        "digits": totp.digits,
        "interval": totp.interval,
        "algorithm": totp.digest().name,
        "secret": totp.secret,
        "code": totp.at(at),
    }))


if __name__ == "__main__":
    main()
