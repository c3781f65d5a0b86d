// The socket server over a real Unix socket, in-process, with a trivial handler and short timeouts.
#include <doctest/doctest.h>

#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "agentd/server/listener.hpp"
#include "agentd/server/server.hpp"
#include "proto/codec.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using agentd::server::Limits;
using agentd::server::Peer;
using servertest::recv_frame;
using servertest::send_all;

namespace {

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

agentd::util::UniqueFd must_connect(const std::string& path) {
  auto fd = servertest::connect_to(path);
  REQUIRE(fd);
  return fd;
}

// Sends agent_status with `id` and checks that its reply comes back on the same connection.
bool round_trip(int fd, std::uint64_t id) {
  if (!send_all(fd, proto::encode_request(id, proto::AgentStatus{}))) return false;
  auto body = recv_frame(fd);
  if (!body) return false;
  auto reply = proto::decode_reply<proto::AgentStatusReply>(*body, id);
  return reply.ok() && reply->pid == ::getpid();
}

proto::Error error_of(const std::string& body) {
  auto reply = proto::decode_reply<proto::OkReply>(body, 0);
  REQUIRE_FALSE(reply.ok());
  return reply.error();
}

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
