// The browser login's loopback listener over real TCP on 127.0.0.1: idle connections (another local
// user's, a browser's pre-connects) do not hold up the redirect, and each is dropped after the header
// timeout.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agentd/oauth/loopback_listener.hpp"
#include "agentd/util/unique_fd.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using agentd::util::UniqueFd;

namespace {

int port_of(const std::string& redirect_uri) {
  const auto colon = redirect_uri.rfind(':');
  return std::stoi(redirect_uri.substr(colon + 1));
}

UniqueFd connect_loopback(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return {};
  return fd;
}

// Everything the listener sends until it closes, waiting at most `timeout`.
std::string read_until_close(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// True when the peer closed `fd` within `timeout` (EOF or reset).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char byte;
  return ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

struct Running {
  Running() : work(asio::make_work_guard(io)), thread([this] { io.run(); }) {}
  ~Running() { stop(); }
  // Ends the io thread (before the listener is destroyed on this thread).
  void stop() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

}  // namespace

TEST_CASE("loopback listener: five idle connections do not hold up the redirect") {
  Running r;
  auto opened = agentd::oauth::LoopbackListener::open(r.io.get_executor());
  REQUIRE(opened.ok());
  auto& listener = **opened;
  const int port = port_of(listener.redirect_uri());
  auto code = asio::co_spawn(r.io, listener.wait_for_code("state-1", std::chrono::seconds(60)), asio::use_future);

  std::vector<UniqueFd> idle;
  for (int i = 0; i < 5; ++i) {
    idle.push_back(connect_loopback(port));
    REQUIRE(idle.back());
  }
  auto browser = connect_loopback(port);
  REQUIRE(browser);
  const std::string request = "GET /callback?code=the-code&state=state-1 HTTP/1.1\r\nHost: 127.0.0.1:" +
                              std::to_string(port) + "\r\n\r\n";
  REQUIRE(::send(browser.get(), request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  // Served while the idle ones are still within their header timeout (2 s): one at a time, the
  // browser would wait behind all five of them.
  const std::string answer = read_until_close(browser.get(), 1500ms);
  CHECK(answer.starts_with("HTTP/1.1 200"));
  REQUIRE(code.wait_for(1500ms) == std::future_status::ready);
  auto result = code.get();
  REQUIRE_MESSAGE(result.ok(), result.error().message);
  CHECK(*result == "the-code");
  // The login is over: its leftover connections are closed.
  for (auto& fd : idle) CHECK(closed_within(fd.get(), 2000ms));
  r.stop();
}

TEST_CASE("loopback listener: an idle connection is dropped after the header timeout and the login goes on") {
  Running r;
  auto opened = agentd::oauth::LoopbackListener::open(r.io.get_executor());
  REQUIRE(opened.ok());
  auto& listener = **opened;
  const int port = port_of(listener.redirect_uri());
  auto code = asio::co_spawn(r.io, listener.wait_for_code("state-2", std::chrono::seconds(60)), asio::use_future);
  auto idle = connect_loopback(port);
  REQUIRE(idle);
  CHECK(closed_within(idle.get(), 5000ms));
  CHECK(code.wait_for(0ms) == std::future_status::timeout);  // still waiting for the real redirect

  auto browser = connect_loopback(port);
  REQUIRE(browser);
  const std::string request = "GET /callback?error=access_denied&state=state-2 HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(browser.get(), request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  CHECK(read_until_close(browser.get(), 5000ms).starts_with("HTTP/1.1 200"));
  REQUIRE(code.wait_for(5000ms) == std::future_status::ready);
  auto result = code.get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == proto::ErrorCode::permission_denied);
  r.stop();
}
