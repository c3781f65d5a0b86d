#include "agentd/platform/client.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proto/mask.hpp"

namespace agentd::platform {
namespace {

namespace asio = boost::asio;

constexpr int kUnauthorized = 401;
constexpr int kTooManyRequests = 429;
constexpr int kInternalError = 500;
constexpr int kBadGateway = 502;
constexpr int kUnavailable = 503;
constexpr int kGatewayTimeout = 504;
constexpr std::string_view kJson = "application/json";
// Backoff between retries when the server names no Retry-After: 1 s doubling, at most 8 s.
constexpr auto kFirstBackoff = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(8);

// One HTTP exchange with `bearer`. The Authorization header lives only in this request object,
// which the HTTP client never logs or quotes.
asio::awaitable<proto::Result<http::Response>> exchange(http::Client& client, const Bearer& bearer, const Call& call) {
  auto url = join_url(bearer.api_endpoint, call.path);
  if (!url) co_return std::move(url).error();
  http::Request request;
  request.method = call.method;
  request.url = std::move(*url);
  request.headers.emplace_back("Authorization", "Bearer " + bearer.value);
  request.headers.emplace_back("Accept", std::string(kJson));
  if (!call.body.empty()) {
    request.body = call.body;
    request.content_type = std::string(kJson);
  }
  auto response = co_await client.send(std::move(request));
  co_return response;
}

bool idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

// 429 and 503 say the request was not processed: any method may be sent again. After 500, 502 or
// 504 a POST (creating an API key) may have taken effect, and sending it again could create a
// second key nobody ever sees: only idempotent methods are retried then (docs/apikeys.md).
bool retryable(const http::Response& response, const std::string& method) {
  if (response.status == kTooManyRequests || response.status == kUnavailable) return true;
  const bool maybe_processed =
      response.status == kInternalError || response.status == kBadGateway || response.status == kGatewayTimeout;
  return maybe_processed && idempotent(method);
}

// One exchange, sent again after a retryable answer (retryable()) while the next attempt can start
// before `deadline`: after the server's Retry-After, else after a doubling backoff. Gives up at once,
// with the last answer, when the wait would pass the deadline (a long Retry-After included).
asio::awaitable<proto::Result<http::Response>> exchange_retrying(http::Client& client, const Bearer& bearer,
                                                                 const Call& call,
                                                                 std::chrono::steady_clock::time_point deadline) {
  auto backoff = std::chrono::duration_cast<std::chrono::seconds>(kFirstBackoff);
  for (;;) {
    auto response = co_await exchange(client, bearer, call);
    if (!response || !retryable(*response, call.method)) co_return response;
    const auto wait = response->retry_after ? *response->retry_after : backoff;
    backoff = std::min<std::chrono::seconds>(backoff * 2, kMaxBackoff);
    if (std::chrono::steady_clock::now() + wait > deadline) co_return response;
    asio::steady_timer timer(co_await asio::this_coro::executor, wait);
    boost::system::error_code cancelled;  // at shutdown: give up with the answer we have
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    if (cancelled) co_return response;
  }
}

}  // namespace

Bearer::~Bearer() { proto::wipe(value); }

asio::awaitable<proto::Result<Answer>> send(http::Client& client, const Hooks& hooks, const proto::Target& target,
                                            Call call, Expect expect) {
  const auto deadline = std::chrono::steady_clock::now() + kRetryDeadline;
  auto bearer = co_await hooks.credential(target);
  if (!bearer) co_return std::move(bearer).error();
  auto response = co_await exchange_retrying(client, *bearer, call, deadline);
  if (!response) co_return std::move(response).error();

  // An access token can die before its expiry (revoked grant, server restart): refresh once and
  // retry once, as CONTRACT.md asks. API keys and given bearers cannot be refreshed.
  if (response->status == kUnauthorized && bearer->context.kind == CredentialKind::oauth) {
    const std::string profile = bearer->context.profile;
    if (auto refreshed = co_await hooks.refresh(profile); refreshed) {
      proto::Target again = target;
      again.profile = profile;
      bearer = co_await hooks.credential(again);
      if (!bearer) co_return std::move(bearer).error();
      response = co_await exchange_retrying(client, *bearer, call, deadline);
      if (!response) co_return std::move(response).error();
    } else if (refreshed.error().code != proto::ErrorCode::login_required) {
      co_return std::move(refreshed).error();  // offline or server trouble: say that, not "log in"
    }
  }
  if (expect == Expect::success && !is_success(response->status)) {
    const std::array<std::string_view, 1> secrets{bearer->value};
    co_return map_error(*response, call.what, bearer->context, secrets);
  }
  Answer answer;
  answer.response = std::move(*response);
  answer.context = bearer->context;
  answer.api_endpoint = bearer->api_endpoint;
  co_return answer;
}

}  // namespace agentd::platform
