// The server unit tests' fixture: a trivial request handler and a running server on a real socket.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <doctest/doctest.h>

#include "agentd/server/listener.hpp"
#include "agentd/server/server.hpp"
#include "proto/codec.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

namespace servertest {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using agentd::server::Limits;
using agentd::server::Peer;

// Decodes the request like the real agent; answers agent_status with the peer's pid in `pid`.
// A request with profile "slow" (auth_status) waits 300 ms; profile "throw" throws.
class TestHandler final : public agentd::server::RequestHandler {
 public:
  explicit TestHandler(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  asio::awaitable<std::string> handle(const Peer& peer, std::string_view body) override {
    ++requests;
    auto decoded = proto::decode_request(body);
    if (auto* rejected = std::get_if<proto::RejectedRequest>(&decoded)) {
      co_return proto::encode_error(rejected->id, rejected->error);
    }
    auto& frame = std::get<proto::RequestFrame>(decoded);
    if (auto* status = std::get_if<proto::AuthStatus>(&frame.request)) {
      if (status->profile == "throw") throw std::runtime_error("handler bug");
      if (status->profile == "slow") {
        asio::steady_timer timer(executor_, 300ms);
        co_await timer.async_wait(asio::use_awaitable);
      }
      proto::AuthStatusReply reply;
      reply.default_profile = status->profile;
      co_return proto::encode_reply(frame.id, reply);
    }
    proto::AgentStatusReply reply;
    reply.pid = peer.pid;
    reply.connections = static_cast<std::int64_t>(connections ? connections() : 0);
    co_return proto::encode_reply(frame.id, reply);
  }

  // The hot path's stand-in: profile_list is answered at once, without handle().
  bool answer_now(const Peer&, std::string_view body, std::string& reply) override {
    auto decoded = proto::decode_request(body);
    auto* frame = std::get_if<proto::RequestFrame>(&decoded);
    if (!frame || !std::holds_alternative<proto::ProfileList>(frame->request)) return false;
    ++requests;
    ++answered_now;
    reply = proto::encode_reply(frame->id, proto::ProfileListReply{});
    return true;
  }

  std::atomic<int> requests{0};
  std::atomic<int> answered_now{0};
  std::function<std::size_t()> connections;

 private:
  asio::any_io_executor executor_;
};

// A listener, a server and an io thread; stops the server gracefully on destruction.
struct Harness {
  explicit Harness(Limits limits = test_limits()) : handler(io.get_executor()) {
    auto opened = agentd::server::Listener::open(tmp.path() + "/agent.sock");
    REQUIRE_MESSAGE(opened.ok(), opened.error().message);
    listener.emplace(std::move(*opened));
    server.emplace(io.get_executor(), listener->release_fd(), handler, limits);
    handler.connections = [this] { return server->connection_count(); };
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~Harness() {
    if (!stopped) stop();
  }
  bool stop() {
    stopped = true;
    auto done = asio::co_spawn(io, server->stop(), asio::use_future);
    bool in_time = done.get();
    thread.join();  // the io_context runs dry once every session has ended
    return in_time;
  }
  static Limits test_limits() {
    Limits limits;
    limits.idle_timeout = 1500ms;
    limits.frame_timeout = 300ms;
    limits.write_timeout = 1000ms;
    limits.shutdown_grace = 2000ms;
    return limits;
  }
  const std::string& path() const { return listener->path(); }

  servertest::TempDir tmp;
  asio::io_context io;
  TestHandler handler;
  std::optional<agentd::server::Listener> listener;
  std::optional<agentd::server::Server> server;
  std::thread thread;
  bool stopped = false;
};

inline agentd::util::UniqueFd must_connect(const std::string& path) {
  auto fd = servertest::connect_to(path);
  REQUIRE(fd);
  return fd;
}

// Sends agent_status with `id` and checks that its reply comes back on the same connection.
inline bool round_trip(int fd, std::uint64_t id) {
  if (!send_all(fd, proto::encode_request(id, proto::AgentStatus{}))) return false;
  auto body = recv_frame(fd);
  if (!body) return false;
  auto reply = proto::decode_reply<proto::AgentStatusReply>(*body, id);
  return reply.ok() && reply->pid == ::getpid();
}

inline proto::Error error_of(const std::string& body) {
  auto reply = proto::decode_reply<proto::OkReply>(body, 0);
  REQUIRE_FALSE(reply.ok());
  return reply.error();
}


}  // namespace servertest
