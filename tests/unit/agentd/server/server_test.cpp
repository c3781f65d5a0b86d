// The socket server over a real Unix socket, in-process, with a trivial handler and short timeouts:
// framing, limits, timeouts, the connection cap and shutdown (peers and the hot path: server_peers_test.cpp).
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "tests/unit/agentd/server/server_harness.hpp"

using namespace std::chrono_literals;
using namespace servertest;  // Harness, Limits, must_connect, round_trip, error_of, send_all, recv_frame

namespace {

long max_rss_kib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("server: many concurrent clients each get their own replies") {
  Harness h;
  constexpr int kClients = 40;
  constexpr int kRequests = 25;
  std::vector<agentd::util::UniqueFd> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(must_connect(h.path()));
  // Interleave: every client has a request in flight before any reply is read.
  for (int round = 0; round < kRequests; ++round) {
    for (int i = 0; i < kClients; ++i) {
      REQUIRE(send_all(clients[i].get(), proto::encode_request(round * 1000 + i + 1, proto::AgentStatus{})));
    }
    for (int i = 0; i < kClients; ++i) {
      auto body = recv_frame(clients[i].get());
      REQUIRE(body);
      auto reply = proto::decode_reply<proto::AgentStatusReply>(*body, round * 1000 + i + 1);
      REQUIRE_MESSAGE(reply.ok(), reply.error().message);
    }
  }
  CHECK(h.server->connection_count() == kClients);
  CHECK(h.handler.requests == kClients * kRequests);

  // And from many threads at once, each with a fresh connection.
  std::vector<std::future<bool>> results;
  for (int t = 0; t < 16; ++t) {
    results.push_back(std::async(std::launch::async, [&h, t] {
      auto fd = servertest::connect_to(h.path());
      bool ok = static_cast<bool>(fd);
      for (int i = 0; ok && i < 20; ++i) ok = round_trip(fd.get(), t * 100 + i + 1);
      return ok;
    }));
  }
  for (auto& r : results) CHECK(r.get());
}

TEST_CASE("server: garbage bodies get an error and the connection keeps serving") {
  Harness h;
  auto fd = must_connect(h.path());
  REQUIRE(send_all(fd.get(), proto::frame("this is not json \xff\xfe")));
  auto body = recv_frame(fd.get());
  REQUIRE(body);
  CHECK(error_of(*body).code == proto::ErrorCode::bad_request);
  CHECK(round_trip(fd.get(), 7));  // same connection, still in sync
}

TEST_CASE("server: a zero-length frame is a bad request and closes the connection") {
  Harness h;
  auto fd = must_connect(h.path());
  REQUIRE(send_all(fd.get(), std::string(4, '\0')));
  auto body = recv_frame(fd.get());
  REQUIRE(body);
  CHECK(error_of(*body).code == proto::ErrorCode::bad_request);
  CHECK(servertest::closed_by_peer(fd.get(), 2s));
}

TEST_CASE("server: a 1 GiB length prefix is refused without allocating while others are served") {
  Harness h;
  auto bystander = must_connect(h.path());
  CHECK(round_trip(bystander.get(), 1));
  const long rss_before = max_rss_kib();

  auto hostile = must_connect(h.path());
  auto header = proto::encode_header(1u << 30);
  REQUIRE(send_all(hostile.get(), std::string(reinterpret_cast<const char*>(header.data()), header.size())));
  send_all(hostile.get(), std::string(64 * 1024, 'A'));  // it starts streaming the "body"; may hit EPIPE
  auto body = recv_frame(hostile.get());
  REQUIRE(body);
  auto error = error_of(*body);
  CHECK(error.code == proto::ErrorCode::frame_too_large);
  CHECK(error.message.find("1073741824") != std::string::npos);
  CHECK(servertest::closed_by_peer(hostile.get(), 2s));

  CHECK(round_trip(bystander.get(), 2));
  CHECK(max_rss_kib() - rss_before < 64 * 1024);  // nowhere near the 1 GiB announced
}

TEST_CASE("server: a client stalling mid-header is dropped after the frame timeout while others are served") {
  Harness h;
  auto slow = must_connect(h.path());
  REQUIRE(send_all(slow.get(), std::string("\0\0", 2)));  // half a header, then nothing
  const auto started = std::chrono::steady_clock::now();

  auto other = must_connect(h.path());
  CHECK(round_trip(other.get(), 1));
  CHECK(std::chrono::steady_clock::now() - started < 250ms);  // served while the slow one stalls

  auto body = recv_frame(slow.get(), 3s);
  REQUIRE(body);
  CHECK(error_of(*body).code == proto::ErrorCode::timeout);
  CHECK(servertest::closed_by_peer(slow.get(), 2s));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 2s);
  CHECK(round_trip(other.get(), 2));
}

TEST_CASE("server: a client stalling mid-body is dropped after the frame timeout") {
  Harness h;
  auto slow = must_connect(h.path());
  auto frame = proto::encode_request(1, proto::AgentStatus{});
  REQUIRE(send_all(slow.get(), frame.substr(0, frame.size() - 3)));
  auto body = recv_frame(slow.get(), 3s);
  REQUIRE(body);
  CHECK(error_of(*body).code == proto::ErrorCode::timeout);
  CHECK(servertest::closed_by_peer(slow.get(), 2s));
}

TEST_CASE("server: idle connections are closed after the idle timeout but active ones are not") {
  Harness h;
  auto idle = must_connect(h.path());
  auto active = must_connect(h.path());
  const auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= 4; ++i) {
    std::this_thread::sleep_for(500ms);
    CHECK(round_trip(active.get(), i));  // each request restarts its idle clock
  }
  CHECK(servertest::closed_by_peer(idle.get(), 3s));
  CHECK(std::chrono::steady_clock::now() - started >= 1400ms);
  CHECK(round_trip(active.get(), 9));
}

TEST_CASE("server: at the connection cap the longest-idle connection makes room for a newcomer") {
  Limits limits = Harness::test_limits();
  limits.max_connections = 3;
  Harness h(limits);
  std::vector<agentd::util::UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(must_connect(h.path()));
    CHECK(round_trip(clients.back().get(), 1));
  }
  CHECK(round_trip(clients[0].get(), 2));  // clients[1] is now the longest idle, then clients[2]
  auto newcomer = must_connect(h.path());
  CHECK(round_trip(newcomer.get(), 3));  // served, not refused
  CHECK(servertest::closed_by_peer(clients[1].get(), 2s));
  auto second = must_connect(h.path());
  CHECK(round_trip(second.get(), 4));
  CHECK(servertest::closed_by_peer(clients[2].get(), 2s));
  CHECK(round_trip(clients[0].get(), 5));  // the recently active one was kept
  CHECK(round_trip(newcomer.get(), 6));
  CHECK(h.server->connection_count() == 3);
}

TEST_CASE("server: at the connection cap with no idle connection a client gets one busy error") {
  Limits limits = Harness::test_limits();
  limits.max_connections = 3;
  Harness h(limits);
  std::vector<agentd::util::UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(must_connect(h.path()));
    REQUIRE(send_all(clients.back().get(), proto::encode_request(i + 1, proto::AuthStatus{.profile = "slow"})));
  }
  CHECK(servertest::eventually_true([&] { return h.handler.requests == 3; }));
  auto extra = must_connect(h.path());
  auto body = recv_frame(extra.get());
  REQUIRE(body);
  CHECK(error_of(*body).code == proto::ErrorCode::busy);
  CHECK(servertest::closed_by_peer(extra.get(), 2s));
  for (auto& client : clients) CHECK(recv_frame(client.get()));  // the requests in flight were answered
  auto again = must_connect(h.path());
  CHECK(round_trip(again.get(), 9));
}

TEST_CASE("server: a handler that throws closes only its own connection") {
  Harness h;
  auto victim = must_connect(h.path());
  auto other = must_connect(h.path());
  REQUIRE(send_all(victim.get(), proto::encode_request(1, proto::AuthStatus{.profile = "throw"})));
  CHECK(servertest::closed_by_peer(victim.get(), 2s));
  CHECK(round_trip(other.get(), 2));
}

TEST_CASE("server: stop() closes idle connections but finishes a reply in flight") {
  Harness h;
  auto idle = must_connect(h.path());
  CHECK(round_trip(idle.get(), 1));
  auto busy = must_connect(h.path());
  REQUIRE(send_all(busy.get(), proto::encode_request(5, proto::AuthStatus{.profile = "slow"})));
  std::this_thread::sleep_for(100ms);  // the slow request is being handled
  CHECK(h.stop());
  auto body = recv_frame(busy.get());
  REQUIRE(body);
  auto reply = proto::decode_reply<proto::AuthStatusReply>(*body, 5);
  REQUIRE(reply.ok());
  CHECK(reply->default_profile == "slow");
  CHECK(servertest::closed_by_peer(idle.get(), 1s));
  CHECK(servertest::closed_by_peer(busy.get(), 1s));
  CHECK_FALSE(servertest::connect_to(h.path()));  // no longer accepting
  CHECK(h.server->connection_count() == 0);
}
