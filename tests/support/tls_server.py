#!/usr/bin/env python3
"""A small HTTPS server for the agent's HTTP- and OAuth-level tests (real TLS, real sockets).

Usage: tls_server.py --cert CERT --key KEY [--host 127.0.0.1] [--port 0]
Prints "PORT <n>" on stdout once listening, then serves until killed.

Behaviours, selected by path:
  /ok            200 JSON describing the request (method, Host, User-Agent, Content-Type, body length)
  /echo          200 JSON as /ok plus the request body (tests send fake values only)
  /slow?s=N      sleeps N seconds (default 5), then 200
  /big           200 with a 2 MiB body and Content-Length
  /big-chunked   200 with a 2 MiB chunked body (no Content-Length)
  /reset         closes the connection with a TCP RST (SO_LINGER 0), no response
  /close         closes the connection (FIN) without a response
  /retry         503, Retry-After: 7, OAuth-style JSON error
  /retry-date    429, Retry-After as an HTTP-date 30 s ahead
  /garbage       bytes that are not HTTP, then close
  /status/N      answers status N with an empty JSON object
A minimal OAuth server, with URLs built from the Host header as oidc-provider does:
  /oidc/.well-known/openid-configuration       issuer https://HOST/oidc
  /.well-known/oauth-authorization-server/as   issuer https://HOST/as (its openid-configuration is 404)
  /evil/.well-known/openid-configuration       names another issuer
  /plain/.well-known/openid-configuration      lists an http:// token endpoint
  POST /token    refresh_token: "good" -> tokens, "revoked" -> invalid_grant, "echo" -> error
                 echoing the token, "busy" -> 503 + Retry-After 3, "badjson" -> 200 not JSON;
                 authorization_code: tokens + an ID token with an e-mail if code_verifier is there;
                 device_code: "pending"/"slow"/"expired"/"denied"/"done"
  POST /device   an RFC 8628 device authorization response (no interval, as oidc-provider)
  POST /revoke   200 when token and token_type_hint are there, else 400 invalid_request
  GET /userinfo  Bearer "good" -> {"email": ...}; else 401 with WWW-Authenticate invalid_token
"""
import argparse
import base64
import email.utils
import json
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIG_SIZE = 2 * 1024 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_id_token(claims: dict) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return header + "." + b64url(json.dumps(claims).encode()) + ".sig"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tls-test-server"

    def log_message(self, fmt, *args):  # quiet: tests print what they need
        pass

    # --- helpers -------------------------------------------------------------------------------
    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status, obj, extra=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def base(self) -> str:
        return "https://" + self.headers.get("Host", "")

    def describe(self, body: bytes) -> dict:
        return {
            "method": self.command,
            "path": self.path,
            "host": self.headers.get("Host"),
            "user_agent": self.headers.get("User-Agent"),
            "content_type": self.headers.get("Content-Type"),
            "accept": self.headers.get("Accept"),
            "connection": self.headers.get("Connection"),
            "body_length": len(body),
        }

    def drop(self, reset: bool):
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Close the TCP socket underneath without a TLS close_notify.
        socket.socket.close(self.connection)
        self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    # --- dispatch ------------------------------------------------------------------------------
    def do_GET(self):
        self.route(b"")

    def do_POST(self):
        self.route(self.body())

    def route(self, body: bytes):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(errors="replace")).items()}
        if path == "/ok":
            return self.send_json(200, self.describe(body))
        if path == "/echo":
            return self.send_json(200, dict(self.describe(body), body=body.decode(errors="replace")))
        if path == "/slow":
            time.sleep(float(query.get("s", ["5"])[0]))
            return self.send_json(200, {"slow": True})
        if path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(BIG_SIZE))
            self.end_headers()
            try:
                self.wfile.write(b"x" * BIG_SIZE)
            except OSError:
                pass
            return
        if path == "/big-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"y" * 65536
            try:
                for _ in range(BIG_SIZE // len(chunk)):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            return
        if path == "/reset":
            return self.drop(reset=True)
        if path == "/close":
            return self.drop(reset=False)
        if path == "/retry":
            return self.send_json(503, {"error": "temporarily_unavailable"}, [("Retry-After", "7")])
        if path == "/retry-date":
            when = email.utils.formatdate(time.time() + 30, usegmt=True)
            return self.send_json(429, {}, [("Retry-After", when)])
        if path == "/garbage":
            self.wfile.write(b"THIS IS NOT HTTP AT ALL\r\n\r\n")
            self.wfile.flush()
            return self.drop(reset=False)
        if path.startswith("/status/"):
            return self.send_json(int(path.split("/")[2]), {})
        return self.oauth(path, form)

    def oauth(self, path, form):
        base = self.base()
        if path == "/oidc/.well-known/openid-configuration":
            return self.send_json(200, self.metadata(base + "/oidc"))
        if path == "/.well-known/oauth-authorization-server/as":
            return self.send_json(200, self.metadata(base + "/as"))
        if path == "/evil/.well-known/openid-configuration":
            return self.send_json(200, self.metadata("https://evil.example"))
        if path == "/plain/.well-known/openid-configuration":
            doc = self.metadata(base + "/plain")
            doc["token_endpoint"] = "http://" + self.headers.get("Host", "") + "/token"
            return self.send_json(200, doc)
        if path == "/token" and self.command == "POST":
            return self.token(form)
        if path == "/device" and self.command == "POST":
            return self.send_json(200, {
                "device_code": "dc-secret", "user_code": "ABCD-EFGH",
                "verification_uri": base + "/activate",
                "verification_uri_complete": base + "/activate?user_code=ABCD-EFGH",
                "expires_in": 600})
        if path == "/revoke" and self.command == "POST":
            if form.get("token") and form.get("token_type_hint") and form.get("client_id"):
                return self.send_json(200, {})
            return self.send_json(400, {"error": "invalid_request"})
        if path == "/userinfo":
            if self.headers.get("Authorization") == "Bearer good":
                return self.send_json(200, {"sub": "u1", "email": "user@example.com"})
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer error="invalid_token", error_description="expired"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        return self.send_json(404, {"error": "not_found"})

    def metadata(self, issuer):
        base = self.base()
        return {
            "issuer": issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "device_authorization_endpoint": base + "/device",
            "revocation_endpoint": base + "/revoke",
            "userinfo_endpoint": base + "/userinfo",
            "code_challenge_methods_supported": ["S256"],
        }

    def token(self, form):
        grant = form.get("grant_type")
        tokens = {"access_token": "at-new", "token_type": "Bearer", "expires_in": 60, "scope": "openid email"}
        if grant == "refresh_token":
            rt = form.get("refresh_token")
            if rt == "good":
                return self.send_json(200, dict(tokens, refresh_token="rt-rotated"))
            if rt == "revoked":
                return self.send_json(400, {"error": "invalid_grant", "error_description": "grant request is invalid"})
            if rt == "echo":
                return self.send_json(400, {"error": "invalid_request",
                                            "error_description": "bad token " + (rt or "") + "\x1b[31m" + "z" * 500})
            if rt == "busy":
                return self.send_json(503, {"error": "server_error"}, [("Retry-After", "3")])
            if rt == "badjson":
                data = b"{not json"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            return self.send_json(400, {"error": "invalid_grant"})
        if grant == "authorization_code":
            if not form.get("code_verifier") or not form.get("redirect_uri"):
                return self.send_json(400, {"error": "invalid_request", "error_description": "PKCE verifier required"})
            return self.send_json(200, dict(tokens, refresh_token="rt-1",
                                            id_token=fake_id_token({"sub": "u1", "email": "user@example.com"})))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            outcome = {"pending": "authorization_pending", "slow": "slow_down", "expired": "expired_token",
                       "denied": "access_denied"}.get(form.get("device_code"))
            if outcome:
                return self.send_json(400, {"error": outcome})
            if form.get("device_code") == "done":
                return self.send_json(200, dict(tokens, refresh_token="rt-device"))
            return self.send_json(400, {"error": "invalid_grant"})
        return self.send_json(400, {"error": "unsupported_grant_type"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, family, context):
        self.address_family = family
        self.context = context
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake runs in the handler's thread (on first read): a stalled client cannot
        # block the accept loop.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass  # clients that hang up or fail verification are expected here


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    server = Server((args.host, args.port), family, context)
    print("PORT", server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sys.stdin.read()  # exits when the test closes our stdin (or dies)
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
