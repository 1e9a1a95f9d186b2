"""A local OpenID Connect provider for the single sign-on tests: an
independent peer, its ID tokens signed by PyJWT (with `cryptography`'s RSA
and P-256 keys), not by anything of Switchboard's.

    python oidc_provider.py PORT CLIENT_ID CLIENT_SECRET

Listens on 127.0.0.1:PORT; its issuer is http://127.0.0.1:PORT. Serves:

- /.well-known/openid-configuration (discovery);
- /jwks (the public keys: one RSA, one P-256);
- /authorize: approves at once, as the user the test set, and redirects to
  redirect_uri with a code and the state; it keeps the nonce, the PKCE
  challenge (S256 only) and the redirect URI with the code;
- /token: checks the client (HTTP Basic or the form), the code (once), the
  redirect URI, and the PKCE verifier against the challenge; answers with
  an ID token;
- POST /admin/user {"sub", "email", "email_verified"}: who /authorize
  signs in next;
- POST /admin/mode {"mode", "alg", "now"}: how the next ID tokens
  misbehave (good, forged, wrong_audience, expired, wrong_nonce,
  wrong_issuer, alg_none, several_audiences_no_azp; rotate: a new key,
  published from then on; unknown_kid: a key never published), RS256 or
  ES256, and
  the time they are dated by (the server under test's test clock);
- GET /admin/log: what /authorize and /token saw and decided.

Prints "ready" once it accepts connections; runs until its standard input
closes.
"""

import base64
import hashlib
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    def __init__(self, port, client_id, client_secret):
        self.issuer = f"http://127.0.0.1:{port}"
        self.client_id = client_id
        self.client_secret = client_secret
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        # Keys nobody publishes: a forger's, with the published kids.
        self.forger_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger_ec = ec.generate_private_key(ec.SECP256R1())
        # A key published later (the provider rotating its keys): made and
        # published by the first token of mode "rotate".
        self.rotated = None
        self.user = {"sub": "user-1", "email": "nobody@example.org", "email_verified": True}
        self.mode = "good"
        self.alg = "RS256"
        # The server under test may run on a test clock: tokens are dated
        # by the time the test gives (seconds), or else by this machine's.
        self.now = None
        self.codes = {}
        self.log = []
        self.lock = threading.Lock()

    def jwks(self):
        r = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        r.update({"kid": "rsa-1", "use": "sig", "alg": "RS256"})
        e = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        e.update({"kid": "ec-1", "use": "sig", "alg": "ES256"})
        keys = [r, e]
        if self.rotated is not None:
            n = json.loads(RSAAlgorithm.to_jwk(self.rotated.public_key()))
            n.update({"kid": "rsa-2", "use": "sig", "alg": "RS256"})
            keys.append(n)
        return {"keys": keys}

    def discovery(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def id_token(self, grant):
        now = self.now if self.now is not None else int(time.time())
        mode = self.mode
        claims = {
            "iss": self.issuer,
            "sub": grant["user"]["sub"],
            "aud": self.client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": grant["nonce"],
            "email": grant["user"]["email"],
            "email_verified": grant["user"]["email_verified"],
            "name": "Test Person",
        }
        if mode == "wrong_audience":
            claims["aud"] = "some-other-client"
        elif mode == "several_audiences_no_azp":
            claims["aud"] = [self.client_id, "some-other-client"]
        elif mode == "expired":
            claims["iat"] = now - 600
            claims["exp"] = now - 300
        elif mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-" + secrets.token_urlsafe(8)
        elif mode == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1"
        if grant["user"].get("email_verified") is None:
            claims.pop("email_verified")
        if mode == "rotate":
            if self.rotated is None:
                self.rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return jwt.encode(claims, self.rotated, algorithm="RS256", headers={"kid": "rsa-2"})
        if mode == "unknown_kid":
            return jwt.encode(claims, self.forger_rsa, algorithm="RS256", headers={"kid": "rsa-9"})
        if mode == "alg_none":
            return jwt.encode(claims, None, algorithm="none", headers={"kid": "rsa-1"})
        if self.alg == "ES256":
            key = self.forger_ec if mode == "forged" else self.ec
            return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "ec-1"})
        key = self.forger_rsa if mode == "forged" else self.rsa
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "rsa-1"})


class Handler(BaseHTTPRequestHandler):
    provider = None

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode()

    def do_GET(self):
        p = self.provider
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            return self.answer(200, p.discovery())
        if url.path == "/jwks":
            with p.lock:
                p.log.append({"event": "jwks"})
            return self.answer(200, p.jwks())
        if url.path == "/admin/log":
            with p.lock:
                return self.answer(200, p.log)
        if url.path == "/authorize":
            entry = {"event": "authorize", "query": q}
            problems = []
            if q.get("response_type") != "code":
                problems.append("response_type")
            if q.get("client_id") != p.client_id:
                problems.append("client_id")
            if "openid" not in q.get("scope", "").split():
                problems.append("scope")
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                problems.append("pkce")
            if not q.get("state") or not q.get("nonce") or not q.get("redirect_uri"):
                problems.append("state_nonce_redirect")
            entry["problems"] = problems
            with p.lock:
                p.log.append(entry)
            if problems:
                return self.answer(400, {"error": "invalid_request", "problems": problems})
            code = secrets.token_urlsafe(24)
            with p.lock:
                p.codes[code] = {
                    "nonce": q["nonce"],
                    "challenge": q["code_challenge"],
                    "redirect_uri": q["redirect_uri"],
                    "user": dict(p.user),
                }
            target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
            return self.answer(302, None, {"Location": target})
        return self.answer(404, {"error": "not_found"})

    def do_POST(self):
        p = self.provider
        url = urlparse(self.path)
        raw = self.body()
        if url.path == "/admin/user":
            with p.lock:
                p.user = json.loads(raw)
            return self.answer(204)
        if url.path == "/admin/mode":
            body = json.loads(raw)
            with p.lock:
                p.mode = body.get("mode", "good")
                p.alg = body.get("alg", "RS256")
                p.now = body.get("now")
            return self.answer(204)
        if url.path != "/token":
            return self.answer(404, {"error": "not_found"})
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        entry = {"event": "token", "client_auth": None, "pkce": None}
        # The client: HTTP Basic (form-encoded parts) or the form.
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            from urllib.parse import unquote_plus

            decoded = base64.b64decode(auth[6:]).decode()
            cid, _, sec = decoded.partition(":")
            client_id, secret = unquote_plus(cid), unquote_plus(sec)
            entry["client_auth"] = "basic"
        elif secret is not None:
            entry["client_auth"] = "post"
        if client_id != p.client_id or secret != p.client_secret:
            entry["decision"] = "invalid_client"
            with p.lock:
                p.log.append(entry)
            return self.answer(401, {"error": "invalid_client"})
        with p.lock:
            grant = p.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            entry["decision"] = "invalid_grant"
            with p.lock:
                p.log.append(entry)
            return self.answer(400, {"error": "invalid_grant"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            entry["decision"] = "redirect_uri_mismatch"
            with p.lock:
                p.log.append(entry)
            return self.answer(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        computed = b64url(hashlib.sha256(verifier.encode()).digest())
        entry["pkce"] = "verified" if verifier and computed == grant["challenge"] else "failed"
        if entry["pkce"] != "verified":
            entry["decision"] = "pkce_failed"
            with p.lock:
                p.log.append(entry)
            return self.answer(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
        with p.lock:
            token = p.id_token(grant)
            entry["decision"] = "issued"
            entry["mode"] = p.mode
            p.log.append(entry)
        return self.answer(
            200,
            {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300, "id_token": token},
            {"Cache-Control": "no-store"},
        )


def main():
    port, client_id, client_secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    Handler.provider = Provider(port, client_id, client_secret)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
