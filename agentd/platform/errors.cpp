#include "agentd/platform/errors.hpp"

#include <nlohmann/json.hpp>

#include "agentd/http/url.hpp"

namespace agentd::platform {
namespace {

constexpr int kBadRequest = 400;
constexpr int kUnauthorized = 401;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr int kMethodNotAllowed = 405;
constexpr int kConflict = 409;
constexpr int kUnprocessable = 422;
constexpr int kTooManyRequests = 429;
constexpr std::size_t kMaxScope = 32;  // scope names are short words ("read-write")

struct ErrorBody {
  std::string error;
  std::string description;
};

// {"error", "error_description"} when the body is such an object, or FastAPI's {"detail": "…"} (the
// FluxLoop platform's /api); never throws, never quotes the body.
ErrorBody parse_error_body(const std::string& body) {
  ErrorBody out;
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return out;
  if (auto it = json.find("error"); it != json.end() && it->is_string()) out.error = it->get<std::string>();
  if (auto it = json.find("error_description"); it != json.end() && it->is_string()) {
    out.description = it->get<std::string>();
  }
  if (auto it = json.find("detail"); out.description.empty() && it != json.end() && it->is_string()) {
    out.description = it->get<std::string>();
  }
  return out;
}

std::string quoted_parameter(std::string_view header, std::string_view key) {
  // Parameters are `key="value"`; match at a parameter boundary so "error_scope=" cannot pass for "scope=".
  for (std::size_t at = header.find(key); at != std::string_view::npos; at = header.find(key, at + 1)) {
    const bool boundary = at == 0 || header[at - 1] == ' ' || header[at - 1] == ',';
    const auto value = at + key.size();
    if (!boundary || value >= header.size() || header[value] != '=') continue;
    if (value + 1 >= header.size() || header[value + 1] != '"') continue;
    const auto end = header.find('"', value + 2);
    if (end == std::string_view::npos) return {};
    return std::string(header.substr(value + 2, end - value - 2));
  }
  return {};
}

std::string login_advice(const Context& context) {
  switch (context.kind) {
    case CredentialKind::given:
      return "the API key or token given (--api-key, FLUXLOOP_API_KEY, FLUXLOOP_TOKEN or the api_key_file) is "
             "unknown, expired or revoked: use a valid one, or drop it to use a profile";
    case CredentialKind::api_key:
      return "the API key of profile '" + context.profile +
             "' is unknown or revoked: store a new one with `fluxloop apikeys create --name N --store PROFILE` "
             "or import credentials with `fluxloop auth import FILE --profile " + context.profile + "`";
    case CredentialKind::oauth:
      return "the platform refused the tokens of profile '" + context.profile + "' even after a refresh: run "
             "`fluxloop auth login --profile " + context.profile + "`";
  }
  return {};
}

}  // namespace

std::string scope_from_www_authenticate(std::string_view header) {
  std::string scope = quoted_parameter(header, "scope");
  if (scope.size() > kMaxScope) return {};
  return oauth::sanitize_server_text(scope);
}

proto::Error map_error(const http::Response& response, std::string_view what, const Context& context,
                       oauth::Secrets secrets) {
  const ErrorBody body = parse_error_body(response.body);
  const std::string description = oauth::sanitize_server_text(body.description, secrets);
  const std::string status = "HTTP " + std::to_string(response.status);
  const std::string detail = description.empty() ? status : description;

  if (response.status == kUnauthorized) {
    return {proto::ErrorCode::login_required, "Login required: cannot " + std::string(what) + " (" + detail + "): " +
                                                  login_advice(context)};
  }
  if (response.status == kForbidden) {
    const std::string scope = scope_from_www_authenticate(response.header("WWW-Authenticate"));
    std::string message = "Permission denied: ";
    if (!description.empty()) {
      message += description;
      // The platform's description names the scope; if some server's does not, the header does.
      if (!scope.empty() && description.find("'" + scope + "'") == std::string::npos) {
        message += " (needs the '" + scope + "' scope)";
      }
    } else if (!scope.empty()) {
      message += "this request needs the '" + scope + "' scope";
    } else {
      message += "the credential may not " + std::string(what) + " (" + status + ")";
    }
    return {proto::ErrorCode::permission_denied, std::move(message)};
  }
  if (response.status == kNotFound) {
    return {proto::ErrorCode::not_found, "cannot " + std::string(what) + ": not found (" + detail + ")"};
  }
  if (response.status == kBadRequest || response.status == kMethodNotAllowed || response.status == kConflict ||
      response.status == kUnprocessable) {
    return {proto::ErrorCode::invalid_argument,
            "cannot " + std::string(what) + ": the platform refused the request (" + detail + ")"};
  }
  std::string message = "cannot " + std::string(what) + ": the platform is unavailable (" + status +
                        (body.error.empty() ? "" : " " + oauth::sanitize_server_text(body.error, secrets)) + ")";
  if (response.status != kTooManyRequests && response.status < 500) {
    message = "cannot " + std::string(what) + ": unexpected answer from the platform (" + detail + ")";
  }
  if (response.retry_after) message += "; retry after " + std::to_string(response.retry_after->count()) + " s";
  return {proto::ErrorCode::server_error, std::move(message)};
}

proto::Result<std::string> join_url(std::string_view endpoint, std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return proto::Error{proto::ErrorCode::invalid_argument, "the API path must start with '/' (e.g. /v1/me)"};
  }
  for (const unsigned char c : path) {
    if (c <= 0x20 || c == 0x7f) {
      return proto::Error{proto::ErrorCode::invalid_argument,
                          "the API path must not contain spaces or control characters (percent-encode them)"};
    }
  }
  std::string base(endpoint);
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.find('?') != std::string::npos || base.find('#') != std::string::npos) {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "the API endpoint " + http::redact_url(endpoint) + " must not have a query or fragment"};
  }
  std::string url = base + std::string(path);
  // Parsing checks https, host and port; a bad endpoint is named without any query it may carry.
  if (auto parsed = http::parse_https_url(url); !parsed) {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "unusable API endpoint " + http::redact_url(endpoint) + ": " + parsed.error().message};
  }
  return url;
}

}  // namespace agentd::platform
