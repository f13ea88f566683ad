"""A real OpenID Connect provider for the tests, on 127.0.0.1 in a thread of the test process.

It implements the authorization code flow as an identity provider does and checks what a
provider must: the client id and redirect URI, PKCE (S256: the token request's
``code_verifier`` must hash to the authorization request's ``code_challenge``), that ``state``
and ``nonce`` are sent (the nonce goes into the ID token), the client secret, and single use of
codes. The ID token is RS256-signed with the provider's key, published at ``/jwks``.

``mode`` makes it misbehave for the negative tests: ``"bad-signature"`` signs ID tokens with
another key, ``"wrong-nonce"`` puts another nonce in them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "assetgraph"
CLIENT_SECRET = "oidc-client-secret"


@dataclass
class Provider:
    """The provider's state: who signs in next, issued codes, checks it made."""

    claims: dict[str, Any] = field(default_factory=dict)
    mode: str = ""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    other_key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    @property
    def issuer(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                provider.handle_get(self)

            def do_POST(self) -> None:
                provider.handle_post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- endpoints ------------------------------------------------------------------------

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, body: Any, **headers: str
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _refuse(self, handler: BaseHTTPRequestHandler, why: str) -> None:
        self.refusals.append(why)
        self._send(handler, 400, {"error": "invalid_request", "error_description": why})

    def handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/authorize":
            self.authorize(handler, query)
        elif url.path == "/jwks":
            public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            self._send(
                handler, 200, {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}
            )
        elif url.path == "/userinfo":
            token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                self._send(handler, 401, {"error": "invalid_token"})
                return
            self._send(handler, 200, self.tokens[token])
        else:
            self._send(handler, 404, {"error": "not_found"})

    def authorize(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        checks = [
            (query.get("response_type") == "code", "response_type must be code"),
            (query.get("client_id") == CLIENT_ID, "unknown client"),
            ("openid" in query.get("scope", "").split(), "the openid scope is required"),
            (bool(query.get("state")), "state is required"),
            (bool(query.get("nonce")), "nonce is required"),
            (query.get("code_challenge_method") == "S256", "PKCE with S256 is required"),
            (len(query.get("code_challenge", "")) >= 43, "a code_challenge is required"),
            (query.get("redirect_uri", "").endswith("/oidc/callback/"), "unknown redirect_uri"),
        ]
        for ok, why in checks:
            if not ok:
                self._refuse(handler, why)
                return
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "nonce": query["nonce"],
            "redirect_uri": query["redirect_uri"],
        }
        target = (
            query["redirect_uri"]
            + "?"
            + urllib.parse.urlencode({"code": code, "state": query["state"]})
        )
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.end_headers()

    def handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        if urllib.parse.urlsplit(handler.path).path != "/token":
            self._send(handler, 404, {"error": "not_found"})
            return
        length = int(handler.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(handler.rfile.read(length).decode()))
        basic = handler.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            user, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", urllib.parse.unquote(user))
            form.setdefault("client_secret", urllib.parse.unquote(secret))
        grant = self.codes.pop(form.get("code", ""), None)  # codes are single-use
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        checks = [
            (form.get("grant_type") == "authorization_code", "unsupported grant_type"),
            (grant is not None, "unknown or used code"),
            (form.get("client_id") == CLIENT_ID, "unknown client"),
            (form.get("client_secret") == CLIENT_SECRET, "bad client secret"),
            (
                grant is not None and form.get("redirect_uri") == grant["redirect_uri"],
                "redirect_uri differs",
            ),
            (
                grant is not None and bool(verifier) and challenge == grant["challenge"],
                "PKCE verification failed",
            ),
        ]
        for ok, why in checks:
            if not ok:
                self._refuse(handler, why)
                return
        assert grant is not None
        now = int(time.time())
        access = secrets.token_urlsafe(24)
        self.tokens[access] = dict(self.claims)
        payload = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "not-the-nonce" if self.mode == "wrong-nonce" else grant["nonce"],
            **self.claims,
        }
        key = self.other_key if self.mode == "bad-signature" else self.key
        id_token = jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})
        self._send(
            handler,
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
            **{"Cache-Control": "no-store"},
        )
