#include "agentd/oauth/tokens.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "agentd/http/url.hpp"
#include "agentd/oauth/encoding.hpp"
#include "proto/text.hpp"

namespace agentd::oauth {
namespace {

using nlohmann::json;

// Lifetimes beyond this are clamped: a server typo must not overflow a deadline computation.
constexpr std::int64_t kMaxLifetimeSeconds = 10LL * 365 * 24 * 3600;
constexpr std::size_t kMaxEmailLength = 320;  // RFC 5321 path limit, generously
constexpr int kHttpOk = 200;

void cleanse(std::string& text) { OPENSSL_cleanse(text.data(), text.size()); }

Error malformed(std::string_view what, std::string_view reason) {
  return Error(proto::ErrorCode::server_error, "malformed answer to " + std::string(what) + ": " + std::string(reason));
}

// A JSON object from a response body; the body itself is never quoted (it holds tokens).
std::optional<json> parse_object(const std::string& body) {
  auto value = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

std::string string_field(const json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// Seconds as a JSON integer, float or numeric string (servers differ); nullopt when absent or
// not a number. Negative values clamp to 0, huge ones to kMaxLifetimeSeconds.
std::optional<std::chrono::seconds> seconds_field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  double value = 0;
  if (it->is_number()) {
    value = it->get<double>();
  } else if (it->is_string()) {
    const auto text = it->get<std::string>();
    if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    value = std::stod(text);
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(value)) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(std::clamp(value, 0.0, static_cast<double>(kMaxLifetimeSeconds))));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

Result<TokenResponse> tokens_from_json(const json& object, std::string_view what, Secrets secrets) {
  TokenResponse tokens;
  tokens.access_token = string_field(object, "access_token");
  if (tokens.access_token.empty()) return malformed(what, "no access_token");
  tokens.token_type = string_field(object, "token_type");
  if (tokens.token_type.empty()) tokens.token_type = "Bearer";
  if (!iequals(tokens.token_type, "Bearer")) {
    return malformed(what, "unsupported token_type \"" + sanitize_server_text(tokens.token_type, secrets, 32) + "\"");
  }
  if (auto refresh = string_field(object, "refresh_token"); !refresh.empty()) tokens.refresh_token = std::move(refresh);
  if (object.contains("expires_in")) {
    tokens.expires_in = seconds_field(object, "expires_in");
    if (!tokens.expires_in) return malformed(what, "expires_in is not a number");
  }
  tokens.id_token = string_field(object, "id_token");
  tokens.scope = string_field(object, "scope");
  return tokens;
}

bool is_https(const std::string& url) { return http::parse_https_url(url).ok(); }

}  // namespace

TokenResponse::~TokenResponse() {
  cleanse(access_token);
  if (refresh_token) cleanse(*refresh_token);
  cleanse(id_token);
}

Result<TokenResponse> parse_token_response(const http::Response& response, std::string_view what,
                                           Secrets secrets) {
  if (response.status != kHttpOk) return map_error_response(response, what, secrets);
  const auto object = parse_object(response.body);
  if (!object) return malformed(what, "not a JSON object");
  return tokens_from_json(*object, what, secrets);
}

// Why the signature is not checked: the ID token arrives in the token endpoint's response, over a
// TLS connection whose certificate and host name this agent verified, in answer to a request that
// carried our PKCE verifier or refresh token. OIDC Core §3.1.3.7 allows skipping validation in
// exactly this case ("received via direct communication ... TLS server validation may be used").
// The e-mail is only ever displayed; it grants nothing.
std::optional<std::string> email_from_id_token(std::string_view id_token) {
  const auto first_dot = id_token.find('.');
  if (first_dot == std::string_view::npos) return std::nullopt;
  const auto second_dot = id_token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return std::nullopt;
  if (id_token.find('.', second_dot + 1) != std::string_view::npos) return std::nullopt;  // JWE: encrypted
  const auto payload = base64url_decode(id_token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!payload) return std::nullopt;
  const auto claims = parse_object(*payload);
  if (!claims) return std::nullopt;
  auto email = string_field(*claims, "email");
  if (email.empty() || email.size() > kMaxEmailLength ||
      std::any_of(email.begin(), email.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return std::nullopt;
  }
  return email;
}

Result<DeviceAuthorization> parse_device_authorization(const http::Response& response, std::string_view what) {
  if (response.status != kHttpOk) return map_error_response(response, what);
  const auto object = parse_object(response.body);
  if (!object) return malformed(what, "not a JSON object");
  DeviceAuthorization out;
  out.device_code = string_field(*object, "device_code");
  out.user_code = string_field(*object, "user_code");
  out.verification_uri = string_field(*object, "verification_uri");
  if (out.verification_uri.empty()) out.verification_uri = string_field(*object, "verification_url");  // pre-RFC name
  out.verification_uri_complete = string_field(*object, "verification_uri_complete");
  if (out.device_code.empty()) return malformed(what, "no device_code");
  if (out.user_code.empty()) return malformed(what, "no user_code");
  // The client prints these three to a terminal: no escape sequence or control character survives.
  out.user_code = proto::printable(out.user_code);
  for (const std::string* uri : {&out.verification_uri, &out.verification_uri_complete}) {
    if (proto::printable(*uri) != *uri || uri->find(' ') != std::string::npos) {
      return malformed(what, "a verification URI holds control characters or spaces");
    }
  }
  // The user types these into a browser: an http:// page would be open to tampering.
  if (!is_https(out.verification_uri)) return malformed(what, "verification_uri missing or not https");
  if (!out.verification_uri_complete.empty() && !is_https(out.verification_uri_complete)) {
    return malformed(what, "verification_uri_complete is not https");
  }
  const auto expires_in = seconds_field(*object, "expires_in");
  if (!expires_in || expires_in->count() == 0) return malformed(what, "expires_in missing or not a positive number");
  out.expires_in = *expires_in;
  if (const auto interval = seconds_field(*object, "interval"); interval && interval->count() > 0) out.interval = *interval;
  return out;
}

Result<DevicePoll> parse_device_poll(const http::Response& response, std::string_view what,
                                     Secrets secrets) {
  if (response.status == kHttpOk) {
    auto tokens = parse_token_response(response, what, secrets);
    if (!tokens) return std::move(tokens).error();
    return DevicePoll{DevicePollState::success, std::move(tokens).value()};
  }
  if (response.status == 400 || response.status == 401) {
    if (const auto object = parse_object(response.body)) {
      const auto error = string_field(*object, "error");
      if (error == "authorization_pending") return DevicePoll{DevicePollState::pending, std::nullopt};
      if (error == "slow_down") return DevicePoll{DevicePollState::slow_down, std::nullopt};
      if (error == "expired_token") return DevicePoll{DevicePollState::expired_token, std::nullopt};
      if (error == "access_denied") return DevicePoll{DevicePollState::access_denied, std::nullopt};
    }
  }
  return map_error_response(response, what, secrets);
}

proto::Result<std::string> build_authorization_url(std::string_view authorization_endpoint,
                                                   const AuthorizationRequest& request) {
  auto endpoint = http::parse_https_url(authorization_endpoint);
  if (!endpoint) return std::move(endpoint).error();
  if (authorization_endpoint.find('#') != std::string_view::npos) {
    return proto::Error{proto::ErrorCode::invalid_argument, "the authorization endpoint must not contain a fragment"};
  }
  FormFields fields{{"response_type", "code"},
                    {"client_id", request.client_id},
                    {"redirect_uri", request.redirect_uri}};
  if (!request.scope.empty()) fields.emplace_back("scope", request.scope);
  fields.emplace_back("state", request.state);
  fields.emplace_back("code_challenge", request.code_challenge);
  fields.emplace_back("code_challenge_method", "S256");
  const char separator = authorization_endpoint.find('?') == std::string_view::npos ? '?' : '&';
  return std::string(authorization_endpoint) + separator + form_encode(fields);
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (scope.empty()) continue;
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

}  // namespace agentd::oauth
