// Grants and tokens: issuing access/refresh/ID tokens, validating access tokens, revocation
// (RFC 7009) and the userinfo endpoint.
#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
// HS256 key of the emulator's ID tokens. Deliberately public (documented in docs/platform-api.md):
// the agent only reads the e-mail claim and must never treat an ID token as authorization.
constexpr std::string_view kIdTokenKey = "fluxloop-emulator-id-token-key-not-a-secret";
// Expired access tokens are kept a while so a late use is reported as "expired", not "unknown".
constexpr std::size_t kPurgeThreshold = 100000;
constexpr std::chrono::minutes kKeepExpired{10};

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string{} : it->second;
}

std::string subject_for(const std::string& email) { return "usr_" + to_hex(sha256(email).substr(0, 8)); }
}  // namespace

std::string Platform::new_grant(const std::string& client_id, const std::string& scope, const std::string& email,
                                const std::string& nonce) {
  const std::string id = "grt_" + random_hex(8);
  grants_[id] = Grant{client_id, scope, email, nonce, {}, std::chrono::system_clock::now(), false};
  grants_[id].refresh_token = new_refresh_token(id);
  return id;
}

std::string Platform::new_refresh_token(const std::string& grant_id) {
  std::string token = "flx_refresh_" + random_hex(16);
  RefreshToken rt{grant_id, std::nullopt, false};
  if (config_.refresh_token_lifetime.count() > 0)
    rt.expires = std::chrono::steady_clock::now() + config_.refresh_token_lifetime;
  refresh_[token] = rt;
  ++stats_.refresh_tokens_issued;
  return token;
}

std::string Platform::new_access_token(const std::string& grant_id, const std::string& scope) {
  const auto now = std::chrono::steady_clock::now();
  if (access_.size() > kPurgeThreshold) {
    std::erase_if(access_, [&](const auto& kv) { return kv.second.expires + kKeepExpired < now; });
  }
  std::string access = "flx_at_" + random_hex(16);
  access_[access] = AccessToken{grant_id, scope, now + config_.token_lifetime, false};
  ++stats_.access_tokens_issued;
  return access;
}

nlohmann::json Platform::token_body(const std::string& issuer, const std::string& grant_id,
                                    const std::string& refresh_token, const std::string& scope) {
  const std::string access = new_access_token(grant_id, scope);
  nlohmann::json body = {{"access_token", access},
                         {"token_type", "Bearer"},
                         {"expires_in", config_.token_lifetime.count()},
                         {"scope", scope}};
  if (!refresh_token.empty()) body["refresh_token"] = refresh_token;
  if (has_scope(scope, "openid")) body["id_token"] = id_token(issuer, grants_.at(grant_id));
  return body;
}

std::string Platform::id_token(const std::string& issuer, const Grant& grant) const {
  const auto now = std::chrono::system_clock::now();
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "fluxloop-emulator"}};
  nlohmann::json payload = {{"iss", issuer},
                            {"aud", grant.client_id},
                            {"sub", subject_for(grant.email)},
                            {"email", grant.email},
                            {"email_verified", true},
                            {"iat", unix_seconds(now)},
                            {"exp", unix_seconds(now + config_.token_lifetime)},
                            {"auth_time", unix_seconds(grant.auth_time)}};
  if (!grant.nonce.empty()) payload["nonce"] = grant.nonce;
  auto dump = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  std::string signing_input = base64url(dump(header)) + "." + base64url(dump(payload));
  return signing_input + "." + base64url(hmac_sha256(kIdTokenKey, signing_input));
}

void Platform::revoke_grant(const std::string& grant_id) {
  auto g = grants_.find(grant_id);
  if (g == grants_.end()) return;
  g->second.revoked = true;
  for (auto& [value, at] : access_)
    if (at.grant_id == grant_id) at.revoked = true;
}

std::variant<std::string, HttpResponse> Platform::check_access_token(const std::string& token) {
  auto it = access_.find(token);
  if (it == access_.end()) return bearer_error(401, "invalid_token", "unknown access token");
  const AccessToken& at = it->second;
  if (at.revoked || grants_.at(at.grant_id).revoked)
    return bearer_error(401, "invalid_token", "the access token was revoked");
  if (std::chrono::steady_clock::now() >= at.expires) {
    // Counted: a well-behaved agent refreshes ahead of expiry and should (almost) never get here.
    ++stats_.expired_token_uses;
    return bearer_error(401, "invalid_token", "the access token expired");
  }
  return at.grant_id;
}

HttpResponse Platform::revoke(const HttpRequest& req) {
  ++stats_.revocations;
  auto form = parse_form(req.body);
  if (!form) return token_error("invalid_request", "malformed form body or repeated parameter");
  const std::string token = get(*form, "token"), client_id = get(*form, "client_id");
  if (token.empty()) return token_error("invalid_request", "token is required");
  if (client_id.empty()) return token_error("invalid_client", "client_id is required (public client)", 401);

  // RFC 7009 §2.1: the hint only speeds up the lookup; search both kinds regardless.
  std::string grant_id;
  if (auto r = refresh_.find(token); r != refresh_.end()) grant_id = r->second.grant_id;
  auto a = access_.find(token);
  if (grant_id.empty() && a != access_.end()) grant_id = a->second.grant_id;
  if (grant_id.empty()) return HttpResponse{200, "text/plain", {{"Cache-Control", "no-store"}}, ""};  // §2.2

  // §2.1: a client may only revoke its own tokens.
  if (grants_.at(grant_id).client_id != client_id)
    return token_error("unauthorized_client", "the token was issued to another client_id");
  if (refresh_.count(token)) {
    revoke_grant(grant_id);  // §2.1: revoking a refresh token also invalidates its grant's access tokens
  } else {
    a->second.revoked = true;
  }
  return HttpResponse{200, "text/plain", {{"Cache-Control", "no-store"}}, ""};
}

HttpResponse Platform::userinfo(const HttpRequest& req) {
  ++stats_.userinfo_requests;
  auto token = bearer_token(req);
  if (!token) return bearer_error(401, "invalid_token", "an Authorization: Bearer access token is required");
  auto checked = check_access_token(*token);
  if (auto* err = std::get_if<HttpResponse>(&checked)) return *err;
  const Grant& grant = grants_.at(std::get<std::string>(checked));
  return json_response(200, {{"sub", subject_for(grant.email)}, {"email", grant.email}, {"email_verified", true}});
}

}  // namespace platform
