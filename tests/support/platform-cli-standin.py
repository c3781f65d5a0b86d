#!/usr/bin/python3
"""A stand-in for the FluxLoop platform's own Python CLI (pip package fluxloop-cli), for tests.

It behaves as ../shared/CONTRACT.md ("The platform CLI keeps working, through the agent") and the real
CLI's source describe it, with the standard library only (run it with /usr/bin/python3):
- login file $HOME/.fluxloop/auth.json; access_token, refresh_token, expires_at and user_id are
  required, else "Not logged in" (exit 1);
- when less than 5 minutes remain and refresh_token is not empty it refreshes by itself, with no lock,
  and rewrites the file in place then chmods it (as the real CLI does); it then prints
  "standin: refreshed" on stderr (tests assert that this never happens through the agent). An
  expiring login without a refresh token prints "standin: refresh needed, no refresh token" and
  exits 3;
- server: FLUXLOOP_API_URL, else FLUXLOOP_SYNC_URL (no production default: tests never leave the
  machine); TLS trusts FLUXLOOP_CA_BUNDLE, else SSL_CERT_FILE, else the system store.
Every run first prints "standin: argv <JSON list>" on stderr. Exit status: 0 ok, 1 error, 3 HTTP 401
(login required), 5 HTTP 403, 6 network error, 429 or 5xx.

Commands:
  projects list            GET /api/projects, the JSON answer on stdout
  whoami                   GET /api/me, the JSON answer on stdout
  auth status              the local login (no request unless it refreshes), AUTH_STATUS lines
  auth login [--force]     CLI connect (start, poll complete every interval), then a full auth.json
                           with the refresh token; "Already logged in" when a valid one exists
  auth logout              deletes auth.json
  exit CODE                exits with CODE (for pass-through tests of exit statuses)
  stdin                    copies stdin to stdout (for pass-through tests of streams)
"""

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

REFRESH_MARGIN = timedelta(minutes=5)  # the real CLI refreshes when less than this remains
DEFAULT_LIFETIME = timedelta(hours=1)  # a credential without expires_at lives an hour
HTTP_TIMEOUT = 15  # seconds per request
REQUIRED = ("access_token", "refresh_token", "expires_at", "user_id")


def say(message):
    print(f"standin: {message}", file=sys.stderr, flush=True)


def auth_path():
    return os.path.join(os.environ.get("HOME", "/nonexistent"), ".fluxloop", "auth.json")


def server():
    url = os.environ.get("FLUXLOOP_API_URL") or os.environ.get("FLUXLOOP_SYNC_URL")
    if not url:
        say("no server: set FLUXLOOP_API_URL or FLUXLOOP_SYNC_URL")
        sys.exit(1)
    return url.rstrip("/")


def tls_context():
    cafile = os.environ.get("FLUXLOOP_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    return ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()


class HttpFailure(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}")
        self.status, self.body = status, body


def request(method, path, body=None, bearer=None):
    """One JSON request; returns the parsed answer (None for an empty body) or raises HttpFailure."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server() + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if bearer:
        req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT, context=tls_context()) as resp:
            text = resp.read().decode()
    except urllib.error.HTTPError as e:
        raise HttpFailure(e.code, e.read().decode(errors="replace")) from None
    except (urllib.error.URLError, OSError) as e:
        raise HttpFailure(0, str(e)) from None
    return json.loads(text) if text else None


def exit_for(failure):
    status = failure.status
    # Only the status and the server's detail: never a request body, which may hold a token.
    detail = failure.body
    try:
        detail = json.loads(failure.body).get("detail", failure.body)
    except (ValueError, AttributeError):
        pass
    say(f"request failed: HTTP {status}: {detail}" if status else f"network error: {detail}")
    if status == 401:
        return 3
    if status == 403:
        return 5
    if status == 0 or status == 429 or status >= 500:
        return 6
    return 1


def parse_time(text):
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def load_login():
    try:
        with open(auth_path()) as f:
            data = json.load(f)
        if not isinstance(data, dict) or any(k not in data for k in REQUIRED):
            return None
        return data
    except (OSError, ValueError):
        return None


def save_login(data):
    # Like the real CLI: rewritten in place (no temp file, no lock), chmod afterwards.
    os.makedirs(os.path.dirname(auth_path()), exist_ok=True)
    with open(auth_path(), "w") as f:
        f.write(json.dumps(data, indent=2))
    os.chmod(auth_path(), 0o600)


def credential_to_login(credential, previous=None):
    previous = previous or {}
    expires_at = credential.get("expires_at") or (datetime.now(timezone.utc) + DEFAULT_LIFETIME).isoformat()
    return {
        "access_token": credential["access_token"],
        "refresh_token": credential.get("refresh_token", previous.get("refresh_token", "")),
        "expires_at": expires_at,
        "user_id": credential.get("user_id") or previous.get("user_id", ""),
        "user_email": credential.get("user_email") or previous.get("user_email", ""),
    }


def expiring(login):
    try:
        return parse_time(login["expires_at"]) <= datetime.now(timezone.utc) + REFRESH_MARGIN
    except (ValueError, AttributeError):
        return True


def valid_login():
    """The login, refreshed by itself when it expires within 5 minutes; exits when there is none."""
    login = load_login()
    if not login:
        print("Not logged in. Run 'fluxloop auth login'.", file=sys.stderr)
        sys.exit(1)
    if not expiring(login):
        return login
    if not login["refresh_token"]:
        say("refresh needed, no refresh token")
        sys.exit(3)
    answer = request("POST", "/api/cli-connect/refresh", {"refresh_token": login["refresh_token"]})
    login = credential_to_login((answer or {}).get("credential") or {}, login)
    save_login(login)
    say("refreshed")
    return login


def cmd_get(path):
    answer = request("GET", path, bearer=valid_login()["access_token"])
    print(json.dumps(answer, indent=2))
    return 0


def cmd_login(args):
    existing = load_login()
    if "--force" not in args and existing and not expiring(existing):
        print(f"Already logged in: {existing.get('user_email', '')}")
        return 0
    start = request("POST", "/api/cli-connect/start", {})
    interval = start.get("interval", start.get("interval_sec", 5))
    lifetime = start.get("expires_in", start.get("expires_in_sec", 600))
    print(f"URL:  {start['verification_url']}\nCODE: {start['user_code']}", flush=True)
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        answer = request("POST", "/api/cli-connect/complete", {"device_code": start["device_code"]})
        status = answer.get("status")
        if status == "pending":
            time.sleep(interval)
            continue
        if status != "approved":
            say(f"login {status}")
            return 1
        login = credential_to_login(answer.get("credential") or {})
        save_login(login)
        print(f"LOGIN_SUCCESS: {login['user_email']}")
        return 0
    say("login timed out")
    return 1


def cmd_status():
    login = load_login()
    if not login:
        print("AUTH_STATUS: not_logged_in")
        return 0
    login = valid_login()
    print(f"AUTH_STATUS: logged_in\nAUTH_USER: {login.get('user_email', '')}\nAUTH_EXPIRES: {login['expires_at']}")
    return 0


def cmd_logout():
    try:
        os.unlink(auth_path())
        print("LOGOUT_STATUS: success")
    except FileNotFoundError:
        print("LOGOUT_STATUS: already_logged_out")
    return 0


def main(argv):
    say("argv " + json.dumps(argv))
    try:
        if argv[:2] == ["projects", "list"]:
            return cmd_get("/api/projects")
        if argv[:1] == ["whoami"]:
            return cmd_get("/api/me")
        if argv[:2] == ["auth", "status"]:
            return cmd_status()
        if argv[:2] == ["auth", "login"]:
            return cmd_login(argv[2:])
        if argv[:2] == ["auth", "logout"]:
            return cmd_logout()
        if argv[:1] == ["exit"] and len(argv) == 2:
            return int(argv[1])
        if argv[:1] == ["stdin"]:
            sys.stdout.write(sys.stdin.read())
            return 0
    except HttpFailure as failure:
        return exit_for(failure)
    print(f"standin: unknown command: {' '.join(argv)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
