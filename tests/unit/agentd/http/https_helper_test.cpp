// The HTTPS client's helper process (agentd/helpers, docs/security.md "Helper processes"): started on
// the first send, gone after its idle time and started again by the next send; a helper killed
// mid-request fails that request with a clear network error and the next one works.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agentd/http/https_client.hpp"
#include "tests/unit/agentd/http/tls_fixture.hpp"

namespace {

namespace asio = boost::asio;
using agentd::http::Client;
using agentd::http::ClientOptions;
using agentd::http::Request;
using agentd::http::Response;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ClientOptions options(std::chrono::milliseconds idle) {
  ClientOptions o;
  o.ca_bundle = tlstest::ca_bundle();
  o.connect_timeout = 3s;
  o.total_timeout = 5s;
  o.helper_idle = idle;
  return o;
}

Request get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

// Polls `done` every 20 ms on the running executor until it holds or `limit` passes.
template <typename Predicate>
asio::awaitable<bool> eventually(Predicate done, std::chrono::milliseconds limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > until) co_return false;
    timer.expires_after(20ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

std::string message_of(const proto::Result<Response>& result) { return result.ok() ? "" : result.error().message; }

bool gone(pid_t pid) { return ::kill(pid, 0) != 0; }  // exited and reaped: not even a zombie

}  // namespace

TEST_CASE("https helper: started on the first send, exits after its idle time, the next send starts another") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  tlstest::run([&]() -> asio::awaitable<bool> {
    Client client(co_await asio::this_coro::executor, options(300ms));
    CHECK(client.helper_pid() == -1);  // nothing runs before the first request
    auto first = co_await client.send(get(server.url("/ok")));
    CHECK_EQ(message_of(first), "");
    REQUIRE(first.ok());
    const pid_t helper = client.helper_pid();
    REQUIRE(helper > 0);
    CHECK(co_await eventually([&] { return client.helper_pid() == -1 && gone(helper); }, 10s));
    auto second = co_await client.send(get(server.url("/ok")));
    CHECK_EQ(message_of(second), "");
    REQUIRE(second.ok());
    CHECK(client.helper_pid() > 0);
    CHECK(client.helper_pid() != helper);
    co_return true;
  }());
}

TEST_CASE("https helper: killed mid-request, that request fails with a network error and the next one works") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  tlstest::run([&]() -> asio::awaitable<bool> {
    auto executor = co_await asio::this_coro::executor;
    Client client(executor, options(10s));
    std::optional<proto::Result<Response>> slow;
    asio::co_spawn(executor, client.send(get(server.url("/slow?s=5"))),
                   [&](std::exception_ptr, proto::Result<Response> r) { slow.emplace(std::move(r)); });
    CHECK(co_await eventually([&] { return client.helper_pid() > 0; }, 5s));
    const pid_t helper = client.helper_pid();
    const auto start = Clock::now();
    REQUIRE(::kill(helper, SIGKILL) == 0);
    CHECK(co_await eventually([&] { return slow.has_value(); }, 5s));
    CHECK(Clock::now() - start < 4s);  // not the 5 s of the slow answer: the death was noticed
    REQUIRE(slow.has_value());
    REQUIRE_FALSE(slow->ok());
    CHECK(slow->error().code == proto::ErrorCode::network);
    CAPTURE(slow->error().message);
    CHECK(slow->error().message.find("the HTTPS helper exited before answering") != std::string::npos);
    CHECK(co_await eventually([&] { return gone(helper); }, 5s));

    auto next = co_await client.send(get(server.url("/ok")));
    CHECK_EQ(message_of(next), "");
    CHECK(next.ok());
    co_return true;
  }());
}
