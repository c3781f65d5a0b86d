#include "agentd/platform/client.hpp"

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
constexpr int kUnavailable = 503;
constexpr std::string_view kJson = "application/json";

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

bool retryable_busy(const http::Response& response) {
  return (response.status == kTooManyRequests || response.status == kUnavailable) && response.retry_after &&
         *response.retry_after <= kMaxRetryWait;
}

}  // namespace

Bearer::~Bearer() { proto::wipe(value); }

asio::awaitable<proto::Result<Answer>> send(http::Client& client, const Hooks& hooks, const proto::Target& target,
                                            Call call, Expect expect) {
  auto bearer = co_await hooks.credential(target);
  if (!bearer) co_return std::move(bearer).error();
  auto response = co_await exchange(client, *bearer, call);
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
      response = co_await exchange(client, *bearer, call);
      if (!response) co_return std::move(response).error();
    } else if (refreshed.error().code != proto::ErrorCode::login_required) {
      co_return std::move(refreshed).error();  // offline or server trouble: say that, not "log in"
    }
  }
  // Busy with a short Retry-After: wait it out once. Longer waits are the caller's decision.
  if (retryable_busy(*response)) {
    asio::steady_timer timer(co_await asio::this_coro::executor, *response->retry_after);
    boost::system::error_code ignored;  // cancelled at shutdown: the retry then fails fast
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    response = co_await exchange(client, *bearer, call);
    if (!response) co_return std::move(response).error();
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
