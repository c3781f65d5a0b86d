#include "agentd/oauth/errors.hpp"

#include <nlohmann/json.hpp>

#include "proto/mask.hpp"
#include "proto/text.hpp"

namespace agentd::oauth {
namespace {

constexpr std::size_t kMaxErrorCode = 64;  // OAuth error codes are short ASCII words
constexpr int kTooManyRequests = 429;
constexpr std::string_view kEllipsis = "...";

struct OAuthErrorBody {
  std::string error;
  std::string description;
};

// The body's {"error", "error_description"}, if it is such a JSON object. Never throws and never
// quotes the body: it may contain anything, tokens included.
std::optional<OAuthErrorBody> parse_error_body(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  const auto error = json.find("error");
  if (error == json.end() || !error->is_string()) return std::nullopt;
  OAuthErrorBody out{error->get<std::string>(), {}};
  if (const auto description = json.find("error_description"); description != json.end() && description->is_string()) {
    out.description = description->get<std::string>();
  }
  return out;
}

// `Bearer error="invalid_token", error_description="…"` (RFC 6750 §3) from a 401/403.
std::optional<OAuthErrorBody> parse_www_authenticate(std::string_view header) {
  auto quoted = [&](std::string_view key) -> std::string {
    const auto start = header.find(key);
    if (start == std::string_view::npos) return {};
    const auto value_start = start + key.size();
    const auto end = header.find('"', value_start);
    return std::string(header.substr(value_start, end == std::string_view::npos ? std::string_view::npos : end - value_start));
  };
  std::string error = quoted("error=\"");
  if (error.empty()) return std::nullopt;
  return OAuthErrorBody{std::move(error), quoted("error_description=\"")};
}

std::string retry_note(const std::optional<std::chrono::seconds>& retry_after) {
  if (!retry_after) return {};
  return "; retry after " + std::to_string(retry_after->count()) + " s";
}

}  // namespace

std::string sanitize_server_text(std::string_view text, Secrets secrets,
                                 std::size_t max_length) {
  // Escape sequences go whole (a bare '?' for ESC would still leave "[31m" behind); the loop below
  // then replaces every remaining byte outside printable ASCII.
  std::string out = proto::printable(text, proto::LineBreaks::keep);
  // A server may echo what it was sent; a refresh token must not reach a terminal that way.
  for (const auto secret : secrets) {
    if (secret.empty()) continue;
    const std::string masked = proto::mask_secret(secret);
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + masked.size())) {
      out.replace(at, secret.size(), masked);
    }
  }
  std::string clean;
  clean.reserve(std::min(out.size(), max_length + kEllipsis.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto byte = static_cast<unsigned char>(out[i]);
    // mask_secret's "…" is UTF-8; keep it whole, replace every other non-printable byte.
    if (out.compare(i, 3, "…") == 0) {
      clean += "…";
      i += 2;
    } else {
      clean += (byte >= 0x20 && byte < 0x7f) ? static_cast<char>(byte) : '?';
    }
    if (clean.size() >= max_length && i + 1 < out.size()) {
      clean.resize(max_length);
      clean += kEllipsis;
      break;
    }
  }
  return clean;
}

Error map_error_response(const http::Response& response, std::string_view what,
                         Secrets secrets) {
  Error error;
  error.http_status = response.status;
  const std::string status = "HTTP " + std::to_string(response.status);

  auto body = parse_error_body(response.body);
  if (!body && (response.status == 401 || response.status == 403)) {
    body = parse_www_authenticate(response.header("WWW-Authenticate"));
  }
  std::string detail;
  if (body) {
    error.oauth_error = sanitize_server_text(body->error, secrets, kMaxErrorCode);
    detail = error.oauth_error;
    if (!body->description.empty()) detail += ": " + sanitize_server_text(body->description, secrets);
  }

  if (response.status == kTooManyRequests || response.status >= 500) {
    error.code = proto::ErrorCode::server_error;
    error.retry_after = response.retry_after;
    error.message = std::string(what) + " failed: the server answered " + status +
                    (detail.empty() ? "" : " (" + detail + ")") + retry_note(error.retry_after);
    return error;
  }
  if (!body) {
    const bool refused = response.status == 401 || response.status == 403;
    error.code = refused ? proto::ErrorCode::permission_denied : proto::ErrorCode::server_error;
    error.message = std::string(what) + (refused ? " was refused: " : " failed: unexpected answer ") + status;
    return error;
  }
  if (error.oauth_error == "invalid_grant") {
    error.code = proto::ErrorCode::login_required;
    error.message = std::string(what) + " was refused: the login is no longer valid (" + detail +
                    "); log in again with `fluxloop auth login`";
    return error;
  }
  if (error.oauth_error == "access_denied" || error.oauth_error == "invalid_scope" ||
      error.oauth_error == "unauthorized_client" || error.oauth_error == "insufficient_scope" ||
      error.oauth_error == "invalid_token") {
    error.code = proto::ErrorCode::permission_denied;
  } else {
    error.code = proto::ErrorCode::invalid_argument;
  }
  error.message = std::string(what) + " was refused (" + status + "): " + detail;
  return error;
}

}  // namespace agentd::oauth
