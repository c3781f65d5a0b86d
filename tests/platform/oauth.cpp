// OAuth 2.0 / OIDC for public clients: discovery, authorization endpoint with PKCE (RFC 7636) and
// loopback redirects (RFC 8252), the token endpoint's authorization_code and refresh_token grants.
#include <cctype>

#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
constexpr std::string_view kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
constexpr std::string_view kDefaultScope = "openid email offline_access";
constexpr std::size_t kMaxParam = 2048;  // any single OAuth parameter

// RFC 8252 §7.3: loopback redirects are http to a loopback literal (or localhost) with any port.
// We insist on an explicit port: a native client's listener never sits on port 80.
bool loopback_redirect(const std::string& uri) {
  constexpr std::string_view scheme = "http://";
  if (uri.rfind(scheme, 0) != 0 || uri.size() > kMaxParam || uri.find('#') != std::string::npos) return false;
  // It ends up in a Location header: no spaces, control characters (CR/LF injection) or non-ASCII.
  for (char c : uri)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  std::string rest = uri.substr(scheme.size());
  std::string authority = rest.substr(0, rest.find_first_of("/?"));
  std::string host;
  for (std::string_view h : {"127.0.0.1:", "localhost:", "[::1]:"}) {
    if (authority.rfind(h, 0) == 0) host = h;
  }
  if (host.empty()) return false;
  std::string port = authority.substr(host.size());
  if (port.empty() || port.size() > 5) return false;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  long p = std::stol(port);
  return p >= 1 && p <= 65535;
}

bool base64url_chars(std::string_view s) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// RFC 7636 §4.1: 43..128 characters of [A-Z a-z 0-9 - . _ ~].
bool verifier_ok(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  return true;
}

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string{} : it->second;
}

// Every scope item of `want` is in `have`.
bool scope_subset(const std::string& want, const std::string& have) {
  std::string_view w = want;
  while (!w.empty()) {
    auto sp = w.find(' ');
    auto item = w.substr(0, sp);
    if (!item.empty() && !has_scope(have, item)) return false;
    if (sp == std::string_view::npos) break;
    w.remove_prefix(sp + 1);
  }
  return true;
}
}  // namespace

HttpResponse Platform::discovery(const HttpRequest& req) {
  const std::string iss = issuer(req);
  return json_response(200, {
      {"issuer", iss},
      {"authorization_endpoint", iss + "/oauth/authorize"},
      {"token_endpoint", iss + "/oauth/token"},
      {"device_authorization_endpoint", iss + "/oauth/device/code"},
      {"revocation_endpoint", iss + "/oauth/revoke"},
      {"userinfo_endpoint", iss + "/oauth/userinfo"},
      {"jwks_uri", iss + "/oauth/jwks"},
      {"response_types_supported", {"code"}},
      {"response_modes_supported", {"query"}},
      {"grant_types_supported", {"authorization_code", "refresh_token", kDeviceGrant}},
      {"code_challenge_methods_supported", {"S256"}},
      {"token_endpoint_auth_methods_supported", {"none"}},
      {"revocation_endpoint_auth_methods_supported", {"none"}},
      {"scopes_supported", {"openid", "email", "profile", "offline_access"}},
      {"subject_types_supported", {"public"}},
      {"id_token_signing_alg_values_supported", {"HS256"}},
      {"claims_supported", {"iss", "aud", "sub", "email", "email_verified", "iat", "exp", "auth_time", "nonce"}},
      {"authorization_response_iss_parameter_supported", true},
      {"fluxloop_api_endpoint", iss},
  });
}

HttpResponse Platform::authorize(const HttpRequest& req) {
  ++stats_.authorize_requests;
  auto params = parse_form(req.query());
  if (!params) return html_response(400, "invalid_request", "<p>Malformed or repeated query parameters.</p>");
  const std::string client_id = get(*params, "client_id"), redirect_uri = get(*params, "redirect_uri");
  // RFC 6749 §4.1.2.1: with a missing client or a bad redirect URI we must NOT redirect.
  if (client_id.empty() || client_id.size() > kMaxParam)
    return html_response(400, "invalid_request", "<p>client_id is missing.</p>");
  if (!loopback_redirect(redirect_uri))
    return html_response(400, "invalid_request",
                         "<p>redirect_uri must be http://127.0.0.1:PORT/..., http://localhost:PORT/... or "
                         "http://[::1]:PORT/... (RFC 8252 loopback redirect).</p>");

  const std::string state = get(*params, "state");
  const std::string iss = issuer(req);
  auto redirect = [&](const std::string& query) {
    HttpResponse r;
    r.status = 302;
    r.content_type = "text/plain";
    r.headers = {{"Cache-Control", "no-store"},
                 {"Location", redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&") + query +
                                  "&state=" + percent_encode(state) + "&iss=" + percent_encode(iss)}};
    return r;
  };
  auto redirect_error = [&](std::string_view error, std::string_view description) {
    return redirect("error=" + std::string(error) + "&error_description=" + percent_encode(description));
  };

  if (get(*params, "response_type") != "code")
    return redirect_error("unsupported_response_type", "only response_type=code is supported");
  if (state.empty() || state.size() > kMaxParam)
    return redirect_error("invalid_request", "state is required (CSRF protection)");
  const std::string challenge = get(*params, "code_challenge");
  if (challenge.empty()) return redirect_error("invalid_request", "PKCE is required: code_challenge is missing");
  if (get(*params, "code_challenge_method") != "S256")
    return redirect_error("invalid_request", "code_challenge_method must be S256");
  if (challenge.size() != 43 || !base64url_chars(challenge))
    return redirect_error("invalid_request", "code_challenge must be BASE64URL(SHA256(verifier)), 43 characters");
  std::string scope = get(*params, "scope");
  if (scope.size() > kMaxParam) return redirect_error("invalid_scope", "scope too long");
  if (scope.empty()) scope = kDefaultScope;

  if (config_.deny_authorize) return redirect_error("access_denied", "the user denied the request (emulator knob)");
  if (!config_.auto_approve)
    return html_response(403, "access_denied",
                         "<p>This emulator runs without auto-approve: browser logins are refused. "
                         "Enable it with POST /_emulator/config {\"auto_approve\": true}.</p>");

  const std::string code = random_hex(16);
  codes_[code] = AuthCode{client_id, redirect_uri, challenge, scope, get(*params, "nonce"), config_.user_email, {},
                          std::chrono::steady_clock::now() + config_.code_lifetime};
  ++stats_.codes_issued;
  return redirect("code=" + code);
}

HttpResponse Platform::token_error(std::string_view error, std::string_view description, int status) {
  ++stats_.token_errors[std::string(error)];
  return error_response(status, error, description);
}

HttpResponse Platform::token(const HttpRequest& req) {
  std::string ctype = req.header("content-type");
  for (auto& c : ctype) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto form = ctype.rfind("application/x-www-form-urlencoded", 0) == 0 ? parse_form(req.body) : std::nullopt;
  const std::string grant_type = form ? get(*form, "grant_type") : std::string{};
  std::string kind = grant_type == "authorization_code" || grant_type == "refresh_token" ? grant_type
                     : grant_type == kDeviceGrant                                      ? "device_code"
                                                                                       : "other";
  ++stats_.token_requests[kind];
  if (!form)
    return token_error("invalid_request",
                       "the body must be application/x-www-form-urlencoded with no repeated parameter");
  if (grant_type.empty()) return token_error("invalid_request", "grant_type is missing");
  if (get(*form, "client_id").empty())
    return token_error("invalid_client", "client_id is required (public client, no secret)", 401);
  if (kind == "authorization_code") return token_authorization_code(req, *form);
  if (kind == "refresh_token") return token_refresh(req, *form);
  if (kind == "device_code") return token_device(req, *form);
  return token_error("unsupported_grant_type", "grant_type " + grant_type.substr(0, 100) + " is not supported");
}

HttpResponse Platform::token_authorization_code(const HttpRequest& req,
                                                const std::map<std::string, std::string>& form) {
  const std::string code = get(form, "code"), redirect_uri = get(form, "redirect_uri"),
                    verifier = get(form, "code_verifier"), client_id = get(form, "client_id");
  if (code.empty() || redirect_uri.empty() || verifier.empty())
    return token_error("invalid_request", "code, redirect_uri and code_verifier are required");
  auto it = codes_.find(code);
  if (it == codes_.end()) return token_error("invalid_grant", "unknown authorization code");
  AuthCode& ac = it->second;
  if (ac.used) {
    // RFC 6749 §4.1.2: a replayed code may mean it was stolen; revoke what it produced.
    if (!ac.grant_id.empty()) revoke_grant(ac.grant_id);
    return token_error("invalid_grant", "authorization code already used; its tokens are revoked");
  }
  if (std::chrono::steady_clock::now() >= ac.expires) return token_error("invalid_grant", "authorization code expired");
  if (ac.client_id != client_id) return token_error("invalid_grant", "the code was issued to another client_id");
  if (ac.redirect_uri != redirect_uri)
    return token_error("invalid_grant", "redirect_uri does not match the authorization request");
  if (!verifier_ok(verifier))
    return token_error("invalid_request", "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]");
  if (base64url(sha256(verifier)) != ac.challenge)
    return token_error("invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge");
  ac.used = true;
  ac.grant_id = new_grant(client_id, ac.scope, ac.email, ac.nonce);
  return json_response(200, token_body(issuer(req), ac.grant_id, grants_.at(ac.grant_id).refresh_token, ac.scope));
}

HttpResponse Platform::token_refresh(const HttpRequest& req, const std::map<std::string, std::string>& form) {
  ++stats_.refreshes;
  const std::string presented = get(form, "refresh_token"), client_id = get(form, "client_id");
  if (presented.empty()) return token_error("invalid_request", "refresh_token is required");
  auto it = refresh_.find(presented);
  if (it == refresh_.end()) return token_error("invalid_grant", "unknown refresh token");
  RefreshToken& rt = it->second;
  Grant& grant = grants_.at(rt.grant_id);
  if (grant.revoked) return token_error("invalid_grant", "the grant was revoked; log in again");
  if (grant.client_id != client_id)
    return token_error("invalid_grant", "the refresh token was issued to another client_id");
  if (rt.expires && std::chrono::steady_clock::now() >= *rt.expires)
    return token_error("invalid_grant", "refresh token expired; log in again");
  if (rt.rotated) {
    // Reuse of a rotated refresh token: either a race in the client or a stolen token. Like
    // oidc-provider (and OAuth 2.0 Security BCP §4.14.2) we revoke the whole grant.
    ++stats_.refresh_token_reuse;
    revoke_grant(rt.grant_id);
    return token_error("invalid_grant", "refresh token already used (rotated); the grant is revoked");
  }
  std::string scope = get(form, "scope");
  if (scope.empty()) scope = grant.scope;
  if (!scope_subset(scope, grant.scope))
    return token_error("invalid_scope", "the requested scope exceeds the grant's scope");

  const std::string grant_id = rt.grant_id;
  std::string refresh_token = presented;
  if (config_.rotate) {
    rt.rotated = true;
    refresh_token = new_refresh_token(grant_id);
  }
  grant.refresh_token = refresh_token;
  ++stats_.refreshes_succeeded;
  return json_response(200, token_body(issuer(req), grant_id, refresh_token, scope));
}

}  // namespace platform
