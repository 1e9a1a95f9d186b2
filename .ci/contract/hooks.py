"""Schemathesis hooks for Switchboard's contract run.

Signs in as the user named by SWITCHBOARD_CONTRACT_USER (password
SWITCHBOARD_CONTRACT_PASSWORD) against SWITCHBOARD_CONTRACT_BASE and sends
the session token as a bearer token, or sends the operator key in
SWITCHBOARD_CONTRACT_OPERATOR_KEY. The token is kept for the whole run;
schemathesis signs in again if a call answers 401. Logging out is fuzzed in
a run of its own (see `run`): the fuzzer's wrong current passwords rightly
lock the account's sign-in for a while, so a sign-in in the middle of the
main run would fail.

The sign-in leaves from another loopback address (127.0.0.2) than the
fuzzer's calls: the fuzzer's own wrong logins, reset requests and links
rightly exhaust the per-address allowance of 127.0.0.1, and the hook must
still be able to sign in after that.
"""

import http.client
import json
import os
import ssl
import time
from urllib.parse import urlsplit

import schemathesis

BASE = os.environ["SWITCHBOARD_CONTRACT_BASE"]
USER = os.environ.get("SWITCHBOARD_CONTRACT_USER", "")
# The operator's routes take an operator key instead of a session.
OPERATOR_KEY = os.environ.get("SWITCHBOARD_CONTRACT_OPERATOR_KEY", "")
PASSWORD = os.environ.get("SWITCHBOARD_CONTRACT_PASSWORD", "switchboard-demo")


@schemathesis.auth(refresh_interval=3600)
class SessionToken:
    def get(self, case, ctx):
        if OPERATOR_KEY:
            return OPERATOR_KEY
        # The account's sign-in may still be locked for a few seconds by the
        # fuzzer's wrong passwords of the run before (`/me/password` counts
        # them too): wait as the server says, as a person would, and try again.
        for _ in range(6):
            status, text, retry_after = self.sign_in()
            if status != 429:
                break
            time.sleep(min(max(retry_after, 1), 30))
        if status != 200:
            raise RuntimeError(f"sign-in as {USER} answered {status}: {text[:200]!r}")
        return json.loads(text)["token"]

    def sign_in(self):
        url = urlsplit(BASE)
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE  # the demo's self-signed certificate
        conn = http.client.HTTPSConnection(
            url.hostname, url.port, context=tls, timeout=30, source_address=("127.0.0.2", 0)
        )
        try:
            body = json.dumps({"username": USER, "password": PASSWORD})
            conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            text = response.read()
            try:
                retry_after = int(response.getheader("Retry-After") or "5")
            except ValueError:
                retry_after = 5
            return response.status, text, retry_after
        finally:
            conn.close()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
