#include "agentd/kinds/fluxloop/cli_connect.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "agentd/oauth/errors.hpp"
#include "agentd/platform/errors.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/util/json_wipe.hpp"
#include "proto/mask.hpp"

namespace agentd::kinds::fluxloop {
namespace {
namespace asio = boost::asio;
using nlohmann::json;

constexpr std::string_view kStartPath = "/api/cli-connect/start";
constexpr std::string_view kCompletePath = "/api/cli-connect/complete";
constexpr std::string_view kRefreshPath = "/api/cli-connect/refresh";
// A server's nonsense (a day-long interval, a negative lifetime) must not stall or spin a login.
constexpr std::int64_t kMinIntervalSeconds = 1;
constexpr std::int64_t kMaxIntervalSeconds = 60;
constexpr std::int64_t kMaxExpiresInSeconds = 24 * 3600;

proto::Error malformed(std::string_view what) {
  return proto::Error{proto::ErrorCode::server_error, "the platform's CLI connect answer is malformed (" + std::string(what) + ")"};
}

std::string string_of(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An id as the platform may send it: a string (a UUID), or a database's integer. Ids are opaque
// (CONTRACT.md); the platform CLI keeps whatever it got.
std::string id_of(const json& object, const char* key) {
  auto it = object.find(key);
  if (it != object.end() && it->is_number_integer()) return it->dump();
  return string_of(object, key);
}

// The first of `keys` present as an integer (the platform spells some fields two ways).
std::optional<std::int64_t> integer_of(const json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = object.find(key);
    if (it != object.end() && it->is_number()) return static_cast<std::int64_t>(it->get<double>());
  }
  return std::nullopt;
}

proto::Result<Credential> credential_of(const json& object, std::chrono::system_clock::time_point now) {
  if (!object.is_object()) return malformed("no credential object");
  Credential credential;
  credential.access_token = string_of(object, "access_token");
  if (credential.access_token.empty()) return malformed("the credential has no access_token");
  credential.refresh_token = string_of(object, "refresh_token");
  credential.user_id = id_of(object, "user_id");
  credential.user_email = string_of(object, "user_email");
  // An expires_at we cannot read counts as absent (one hour), as the platform CLI keeps any string:
  // refusing the credential would lose a login whose code the platform has already spent.
  if (auto when = tokens::parse_expires_at(string_of(object, "expires_at"))) {
    credential.expires_in = std::max(std::chrono::seconds(0), std::chrono::floor<std::chrono::seconds>(*when - now));
  }
  return credential;
}

// The end of a login the platform answered in a way that cannot be polled on: the code may be spent.
proto::Error login_ended(std::string_view why) {
  return proto::Error{proto::ErrorCode::login_required, "the platform ended the CLI connect login: " + std::string(why)};
}

proto::Result<json> parse_object(std::string_view body) {
  auto document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return malformed("not a JSON object");
  return document;
}

asio::awaitable<proto::Result<http::Response>> post(http::Client& client, const std::string& endpoint, std::string_view path,
                                                    std::string body) {
  auto url = platform::join_url(endpoint, path);
  if (!url) co_return std::move(url).error();
  http::Request request;
  request.method = "POST";
  request.url = std::move(*url);
  request.headers.emplace_back("Accept", "application/json");
  request.body = std::move(body);
  request.content_type = "application/json";
  auto response = co_await client.send(std::move(request));
  co_return response;
}

// A 4xx other than 408 and 429 (the "try again" ones) refuses the same request again.
bool refuses_again(int status) { return status >= 400 && status < 500 && status != 408 && status != 429; }

}  // namespace

Start::~Start() { proto::wipe(device_code); }
Credential::~Credential() {
  proto::wipe(access_token);
  proto::wipe(refresh_token);
}

proto::Result<Start> parse_start(std::string_view body) {
  auto document = parse_object(body);
  if (!document) return std::move(document).error();
  util::JsonWiper wiper{*document};
  Start start;
  start.device_code = string_of(*document, "device_code");
  start.user_code = string_of(*document, "user_code");
  start.verification_url = string_of(*document, "verification_url");
  if (start.device_code.empty() || start.user_code.empty() || start.verification_url.empty()) {
    return malformed("device_code, user_code or verification_url missing");
  }
  if (auto v = integer_of(*document, {"expires_in", "expires_in_sec"})) {
    start.expires_in = std::chrono::seconds(std::clamp<std::int64_t>(*v, 0, kMaxExpiresInSeconds));
  }
  if (auto v = integer_of(*document, {"interval", "interval_sec"})) {
    start.interval = std::chrono::seconds(std::clamp<std::int64_t>(*v, kMinIntervalSeconds, kMaxIntervalSeconds));
  }
  return start;
}

proto::Result<Poll> parse_complete(std::string_view body, std::chrono::system_clock::time_point now) {
  auto document = parse_object(body);
  if (!document) return std::move(document).error();
  util::JsonWiper wiper{*document};
  const std::string status = string_of(*document, "status");
  Poll poll;
  if (status == "pending") return poll;
  if (status == "denied") poll.status = Status::denied;
  else if (status == "expired") poll.status = Status::expired;
  else if (status == "approved") poll.status = Status::approved;
  // The platform CLI ends the login at any other status; so do we (polling on would only wait out
  // the code's lifetime). The status is the server's text: shown sanitized.
  else return login_ended("status \"" + oauth::sanitize_server_text(status) + "\"");
  if (poll.status != Status::approved) return poll;
  auto found = document->find("credential");
  if (found == document->end()) return login_ended("approved without a credential");
  auto credential = credential_of(*found, now);
  if (!credential) return login_ended("approved with an unusable credential (" + credential.error().message + ")");
  poll.credential = std::move(*credential);
  return poll;
}

proto::Result<Credential> parse_credential_answer(std::string_view body, std::chrono::system_clock::time_point now) {
  auto document = parse_object(body);
  if (!document) return std::move(document).error();
  util::JsonWiper wiper{*document};
  auto found = document->find("credential");
  if (found == document->end()) return malformed("no credential");
  return credential_of(*found, now);
}

proto::Error map_error(const http::Response& response, std::string_view what, std::string_view secret) {
  std::string detail = "HTTP " + std::to_string(response.status);
  auto document = json::parse(response.body, nullptr, false);
  if (document.is_object()) {
    if (auto it = document.find("detail"); it != document.end() && it->is_string()) {
      const std::array<std::string_view, 1> secrets{secret};
      detail += ": " + oauth::sanitize_server_text(it->get<std::string>(), secrets);
    }
    util::wipe_json(document);
  }
  const std::string message = "cannot " + std::string(what) + " (" + detail + ")";
  switch (response.status) {
    case 400:
    case 401:
    case 403: return proto::Error{proto::ErrorCode::login_required, message};
    case 404: return proto::Error{proto::ErrorCode::not_found, message};
    default: return proto::Error{proto::ErrorCode::server_error, message};
  }
}

asio::awaitable<proto::Result<Start>> start(http::Client& client, std::string endpoint) {
  auto response = co_await post(client, endpoint, kStartPath, "{}");
  if (!response) co_return std::move(response).error();
  if (!platform::is_success(response->status)) co_return map_error(*response, "start a CLI connect login", {});
  co_return parse_start(response->body);
}

asio::awaitable<proto::Result<Poll>> complete(http::Client& client, std::string endpoint, std::string device_code) {
  json body = {{"device_code", device_code}};
  auto text = body.dump();
  util::wipe_json(body);
  auto response = co_await post(client, endpoint, kCompletePath, std::move(text));
  if (!response) co_return std::move(response).error();
  if (!platform::is_success(response->status)) {
    auto error = map_error(*response, "finish the CLI connect login", device_code);
    // 409, 410, FastAPI's 422 …: the code will be refused again; end the login as the platform CLI does.
    if (refuses_again(response->status) && error.code == proto::ErrorCode::server_error) {
      error.code = proto::ErrorCode::login_required;
    }
    co_return error;
  }
  auto poll = parse_complete(response->body);
  proto::wipe(response->body);
  co_return poll;
}

asio::awaitable<tokens::Attempt> refresh(http::Client& client, std::string endpoint, std::string refresh_token) {
  proto::WipeOnExit wipe_token{refresh_token};  // the caller's ordinary copy (Credentials holds it securely)
  json body = {{"refresh_token", refresh_token}};
  auto text = body.dump();
  util::wipe_json(body);
  auto response = co_await post(client, endpoint, kRefreshPath, std::move(text));
  if (!response) co_return tokens::Attempt{std::move(response).error(), std::nullopt};
  if (!platform::is_success(response->status)) {
    auto error = map_error(*response, "refresh the CLI connect login", refresh_token);
    // Any other refusal of this refresh token (404 unknown token, 409, 410, FastAPI's 422, …) will
    // refuse it again: asking the user to log in beats retrying with backoff forever. 408 and 429
    // are the client-side errors that say "try again".
    if (refuses_again(response->status)) error.code = proto::ErrorCode::login_required;
    co_return tokens::Attempt{std::move(error), response->retry_after};
  }
  auto credential = parse_credential_answer(response->body);
  proto::wipe(response->body);
  if (!credential) co_return tokens::Attempt{std::move(credential).error(), std::nullopt};
  tokens::Grant grant;
  grant.access_token = credential->access_token;
  grant.refresh_token = credential->refresh_token;  // empty: the old one stays (no rotation)
  grant.expires_in = credential->expires_in;
  grant.user_email = credential->user_email;
  grant.user_id = credential->user_id;
  co_return tokens::Attempt{std::move(grant), std::nullopt};
}

}  // namespace agentd::kinds::fluxloop
