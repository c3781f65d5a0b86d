// The api_request handler (`fluxloop api`); the credential of a Target is agentd/app/services/platform.cpp's.
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

#include "agentd/app/api.hpp"

#include "agentd/oauth/errors.hpp"
#include "proto/frame.hpp"

namespace agentd::app {
namespace {
namespace asio = boost::asio;

// The reply (body JSON-escaped, plus the frame's other fields) must fit one protocol frame.
constexpr std::size_t kMaxReplyBody = proto::kMaxFrame - 4096;
constexpr std::array kMethods{std::string_view("GET"), std::string_view("HEAD"), std::string_view("POST"),
                              std::string_view("PUT"), std::string_view("PATCH"), std::string_view("DELETE")};

// The body as a JSON string literal, invalid UTF-8 replaced by U+FFFD: its size is what the body
// costs in the reply frame.
std::string json_literal(const std::string& body) {
  return nlohmann::json(body).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Handled<proto::ApiRequest> ApiHandlers::on(const proto::ApiRequest& request) {
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
  FLUXLOOP_CO_TRY(answer, co_await platform_.send(request.target, std::move(call), platform::Expect::any_status));
  proto::ApiReply reply;
  reply.status = answer.response.status;
  reply.content_type = answer.response.header("Content-Type");
  const std::string literal = json_literal(answer.response.body);
  if (literal.size() + reply.content_type.size() > kMaxReplyBody) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "the platform's answer (HTTP " + std::to_string(reply.status) + ", " +
                               std::to_string(answer.response.body.size()) + " bytes) is too large for `fluxloop api` (limit " +
                               std::to_string(kMaxReplyBody / 1024) + " KiB)"};
  }
  reply.body = nlohmann::json::parse(literal).get<std::string>();  // valid UTF-8 now
  spdlog::debug("api_request {} -> HTTP {}", method, reply.status);
  co_return reply;
}

}  // namespace agentd::app
