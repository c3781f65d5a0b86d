// The agent side of platform requests: the credential of a Target (agentd/app_platform.hpp) and the
// api_request handler (`fluxloop api`).
//
// api_request answers with the HTTP status, content type and body for ANY HTTP answer (401, 403 and
// 5xx included: `fluxloop api` maps the status to its exit code and prints the body, like gh api).
// It answers an error only when no HTTP answer exists: no usable credential (login_required,
// no_such_profile, locked), a bad method, path, body or endpoint (invalid_argument), network, or an
// answer too large for a protocol frame. A profile's OAuth token that draws a 401 is refreshed once
// and the request retried once before the 401 is passed on.
#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agentd/app_platform.hpp"
#include "proto/frame.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;

// The reply (body JSON-escaped, plus the frame's other fields) must fit one protocol frame.
constexpr std::size_t kMaxReplyBody = proto::kMaxFrame - 4096;
constexpr std::array kMethods{std::string_view("GET"), std::string_view("HEAD"), std::string_view("POST"),
                              std::string_view("PUT"), std::string_view("PATCH"), std::string_view("DELETE")};

}  // namespace

std::string api_endpoint_of(App::State& state, const std::string& profile) {
  // The endpoint bound to the credentials first: they are only ever sent where they came from.
  if (const auto* entry = state.cache.find(profile); entry && !entry->credentials.api_endpoint.empty()) {
    return entry->credentials.api_endpoint;
  }
  if (auto it = state.config.profiles.find(profile); it != state.config.profiles.end() && !it->second.api_endpoint.empty()) {
    return it->second.api_endpoint;
  }
  return std::string(config::kDefaultApiEndpoint);
}

namespace {

asio::awaitable<proto::Result<platform::Bearer>> credential_of(App::State& state, const proto::Target& target) {
  const std::string profile = state.resolve(target.profile);
  platform::Bearer bearer;
  if (!target.bearer.empty()) {
    // A credential the client was given: no profile is involved, but the endpoint still follows the
    // (default) profile unless FLUXLOOP_API_ENDPOINT names one.
    bearer.value = target.bearer;
    bearer.context = {platform::CredentialKind::given, {}};
  } else {
    if (!state.cache.find(profile)) {
      if (auto loaded = co_await state.ensure_loaded(); !loaded) co_return std::move(loaded).error();
    }
    const auto* entry = state.cache.find(profile);
    if (entry && !entry->credentials.api_key.empty()) {
      bearer.value = entry->credentials.api_key;
      bearer.context = {platform::CredentialKind::api_key, profile};
    } else {
      // The get_token handler's logic: a valid access token, refreshed on demand when needed.
      proto::GetToken request{.profile = profile, .min_valid = 0};
      // Named locals, never temporaries inside co_await: g++ 12 destroys those twice.
      const server::Peer self;
      auto token = co_await state.on(request, self);
      if (!token) co_return std::move(token).error();
      bearer.value = std::move(token->token);
      bearer.context = {platform::CredentialKind::oauth, profile};
    }
  }
  bearer.api_endpoint = target.api_endpoint.empty() ? api_endpoint_of(state, profile) : target.api_endpoint;
  co_return bearer;
}

platform::Hooks hooks_of(App::State& state) {
  platform::Hooks hooks;
  hooks.credential = [&state](const proto::Target& target) { return credential_of(state, target); };
  hooks.refresh = [&state](const std::string& profile) {
    return state.refresher->refresh(profile, tokens::Refresher::Mode::force);
  };
  return hooks;
}

// The body as a JSON string literal, invalid UTF-8 replaced by U+FFFD: its size is what the body
// costs in the reply frame.
std::string json_literal(const std::string& body) {
  return nlohmann::json(body).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

asio::awaitable<proto::Result<platform::Answer>> platform_send(App::State& state, const proto::Target& target,
                                                              platform::Call call, platform::Expect expect) {
  const auto hooks = hooks_of(state);
  auto answer = co_await platform::send(*state.http, hooks, target, std::move(call), expect);
  co_return answer;
}

asio::awaitable<proto::Result<proto::ApiReply>> App::State::on(const proto::ApiRequest& request, const server::Peer&) {
  std::string method = request.method;
  for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "unsupported HTTP method '" + oauth::sanitize_server_text(request.method, {}, 16) +
                               "': use GET, HEAD, POST, PUT, PATCH or DELETE"};
  }
  if (!request.body.empty() && !nlohmann::json::accept(request.body)) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "the request body is not valid JSON"};
  }
  platform::Call call{.method = method, .path = request.path, .body = request.body, .what = method + " " + request.path.substr(0, request.path.find('?'))};
  auto answer = co_await platform_send(*this, request.target, std::move(call), platform::Expect::any_status);
  if (!answer) co_return std::move(answer).error();
  proto::ApiReply reply;
  reply.status = answer->response.status;
  reply.content_type = answer->response.header("Content-Type");
  const std::string literal = json_literal(answer->response.body);
  if (literal.size() + reply.content_type.size() > kMaxReplyBody) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "the platform's answer (HTTP " + std::to_string(reply.status) + ", " +
                               std::to_string(answer->response.body.size()) + " bytes) is too large for `fluxloop api` (limit " +
                               std::to_string(kMaxReplyBody / 1024) + " KiB)"};
  }
  reply.body = nlohmann::json::parse(literal).get<std::string>();  // valid UTF-8 now
  spdlog::debug("api_request {} -> HTTP {}", method, reply.status);
  co_return reply;
}

}  // namespace agentd
