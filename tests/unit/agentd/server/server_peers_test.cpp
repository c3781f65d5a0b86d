// The socket server (agentd/server/server.hpp) against peers of another uid, and the hot path's
// replies given at once (answer_now), in order with the handled ones, under back-pressure.
#include <doctest/doctest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <string>

#include "tests/unit/agentd/server/server_harness.hpp"

using namespace std::chrono_literals;
using namespace servertest;  // Harness, Limits, must_connect, round_trip, error_of, send_all, recv_frame

TEST_CASE("server: a peer of another uid gets one permission_denied frame and is closed") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to connect as another uid");
    return;
  }
  Harness h;
  // Let uid 65534 reach the socket, as a misconfigured directory would.
  REQUIRE(::chmod(h.tmp.path().c_str(), 0711) == 0);
  REQUIRE(::chmod(h.path().c_str(), 0666) == 0);
  const std::string request = proto::encode_request(1, proto::AgentStatus{});
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Child: async-signal-safe calls only (the parent has threads). Relays what the server sent, up
    // to its close; writes nothing when it cannot connect.
    if (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 && ::setresuid(65534, 65534, 65534) == 0) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      auto address = servertest::address_of(h.path());
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        char buffer[1024];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
          if (::write(pipe_fds[1], buffer, static_cast<std::size_t>(n)) != n) break;
        }
      }
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string received;
  char buffer[1024];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) received.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  // Exactly one frame, then EOF: the error says who is served.
  REQUIRE(received.size() > proto::kHeaderSize);
  auto length = proto::decode_header(std::span<const unsigned char, proto::kHeaderSize>(
      reinterpret_cast<const unsigned char*>(received.data()), proto::kHeaderSize));
  REQUIRE(length.ok());
  CHECK(received.size() == proto::kHeaderSize + *length);
  auto error = error_of(received.substr(proto::kHeaderSize));
  CHECK(error.code == proto::ErrorCode::permission_denied);
  CHECK(error.message.find("not uid 65534") != std::string::npos);
  CHECK(h.handler.requests == 0);
  auto owner = must_connect(h.path());
  CHECK(round_trip(owner.get(), 2));
}

TEST_CASE("server: a request the handler answers at once skips handle() and keeps its place in the order") {
  Harness h;
  auto fd = must_connect(h.path());
  // Pipelined in one write: answered at once, handled, answered at once.
  REQUIRE(send_all(fd.get(), proto::encode_request(1, proto::ProfileList{}) + proto::encode_request(2, proto::AgentStatus{}) +
                                 proto::encode_request(3, proto::ProfileList{})));
  for (std::uint64_t id : {1, 2, 3}) {
    auto body = recv_frame(fd.get());
    REQUIRE(body);
    if (id == 2) CHECK(proto::decode_reply<proto::AgentStatusReply>(*body, id).ok());
    else CHECK(proto::decode_reply<proto::ProfileListReply>(*body, id).ok());
  }
  CHECK(h.handler.answered_now == 2);
  CHECK(h.handler.requests == 3);
  CHECK(round_trip(fd.get(), 4));
}

TEST_CASE("server: a client that sends thousands of requests before reading any reply gets them all, in order") {
  // Replies back up in the socket buffer, so sends come up short and the rest waits for the reader.
  Limits limits = Harness::test_limits();
  limits.write_timeout = 10s;  // generous: the reader starts late on purpose
  Harness h(limits);
  auto fd = must_connect(h.path());
  constexpr std::uint64_t kRequests = 4000;
  auto writer = std::async(std::launch::async, [&] {
    for (std::uint64_t id = 1; id <= kRequests; ++id) {
      const bool now = id % 2 == 1;
      if (!send_all(fd.get(), now ? proto::encode_request(id, proto::ProfileList{}) : proto::encode_request(id, proto::AgentStatus{}))) {
        return false;
      }
    }
    return true;
  });
  // Reads nothing for 300 ms (or until the writer is done): meanwhile the replies fill the socket
  // buffer, the server's sends come up short, and the writer blocks in turn. Correct either way.
  (void)servertest::eventually_true([&] { return writer.wait_for(0ms) == std::future_status::ready; }, 300ms);
  std::uint64_t in_order = 0;
  for (std::uint64_t id = 1; id <= kRequests; ++id) {
    auto body = recv_frame(fd.get());
    if (!body) break;
    const bool ok = id % 2 == 1 ? proto::decode_reply<proto::ProfileListReply>(*body, id).ok()
                                : proto::decode_reply<proto::AgentStatusReply>(*body, id).ok();
    if (!ok) break;
    ++in_order;
  }
  CHECK(writer.get());
  CHECK(in_order == kRequests);
  CHECK(h.handler.answered_now == kRequests / 2);
}
