#include "agentd/server/server.hpp"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "agentd/server/deadlines.hpp"
#include "agentd/server/session.hpp"
#include "proto/codec.hpp"
#include "proto/frame.hpp"
#include "proto/mask.hpp"

namespace agentd::server {
namespace {

namespace asio = boost::asio;
using asio::local::stream_protocol;
using Clock = SessionClock;

constexpr std::chrono::milliseconds kAcceptBackoff{100};  // after accept fails (EMFILE): do not spin
constexpr int kRejectLogsPerWindow = 20;                  // foreign-peer warnings per window, then one summary
constexpr std::chrono::seconds kRejectLogWindow{60};
constexpr std::chrono::milliseconds kMaxSweepSlack{250};  // a deadline is enforced at most this late
constexpr std::uint64_t kNoRequestId = 0;                 // errors the server sends before any request parsed
constexpr std::size_t kMaxExePath = 4096;                 // PATH_MAX: longer /proc/PID/exe targets are not recorded
constexpr rlim_t kReservedFds = 128;                      // kept for the store, HTTPS, logs and accept itself
constexpr std::size_t kMinConnections = 16;               // however low the fd limit, serve this many
constexpr int kEvictLogsPerWindow = 5;                    // "closed the longest-idle" lines per window
constexpr std::chrono::seconds kEvictLogWindow{60};
constexpr std::size_t kKeptReplyCapacity = 1024;          // a session keeps its reply buffer up to this size

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string seconds_text(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// Sends what the socket buffer takes of `bytes` now, never waiting; returns how many bytes went (0 on
// EAGAIN or an error, which the caller's async_write of the rest then reports). A reply to a client
// waiting for it always fits: one syscall, no reactor round. Also the courtesy frame for clients we
// are about to close (busy, too large, too slow), which must not cost us a coroutine.
std::size_t send_now(stream_protocol::socket& socket, std::string_view bytes) {
  for (;;) {
    const ssize_t n = ::send(socket.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return 0;
  }
}

// The connection cap the open-file limit allows: every connection is one fd, and the agent needs a
// few more of its own (main() raised the soft limit to the hard one at start).
std::size_t cap_for_fd_limit(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const rlim_t room = limit.rlim_cur > kReservedFds + kMinConnections ? limit.rlim_cur - kReservedFds : kMinConnections;
  return std::min<std::size_t>(wanted, static_cast<std::size_t>(room));
}

// The peer's executable for the audit log, read once per connection (not per request). Best effort:
// the pid may already be gone (or reused) by now; an unreadable link gives "".
std::string executable_of(pid_t pid) {
  char target[kMaxExePath];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof target) return {};
  return std::string(target, static_cast<std::size_t>(n));
}

}  // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
  State(asio::any_io_executor ex, util::UniqueFd listening, RequestHandler& h, Limits l)
      : executor(std::move(ex)),
        acceptor(executor, stream_protocol(), listening.release()),
        handler(h),
        limits(l),
        cap(cap_for_fd_limit(l.max_connections)),
        drained(executor),
        backoff(executor),
        deadlines(executor, std::clamp(std::min({l.idle_timeout, l.frame_timeout, l.write_timeout}) / 4,
                                       std::chrono::milliseconds(1), kMaxSweepSlack)) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(std::shared_ptr<Session> s);
  asio::awaitable<void> sweeper();
  asio::awaitable<boost::system::error_code> fill(Session& s, std::size_t want, bool& reading);
  bool admit(stream_protocol::socket& socket, Peer& peer);
  bool evict_longest_idle(pid_t newcomer);
  void end(const std::shared_ptr<Session>& s);

  asio::any_io_executor executor;
  stream_protocol::acceptor acceptor;
  RequestHandler& handler;
  Limits limits;
  std::size_t cap;
  Sessions sessions;
  std::atomic<std::size_t> count{0};
  asio::steady_timer drained;  // stop() waits on it; the last session to end cancels it
  asio::steady_timer backoff;
  // One timer for every session's deadline (agentd/server/deadlines.hpp).
  Deadlines deadlines;
  bool stopping = false;
  bool destroyed = false;
  Clock::time_point reject_window_start{};
  int rejects_in_window = 0;
  Clock::time_point evict_window_start{};
  int evicts_in_window = 0;
};

// At the cap, a connection that has sat idle longest makes room: a program that leaks idle
// connections then only ever loses its own oldest ones, and every other terminal is still served.
bool Server::State::evict_longest_idle(pid_t newcomer) {
  std::shared_ptr<Session> oldest;
  for (const auto& s : sessions) {
    if (s->phase == Phase::idle && !s->closed && (!oldest || s->idle_since < oldest->idle_since)) oldest = s;
  }
  if (!oldest) return false;
  const auto now = Clock::now();
  if (now - evict_window_start > kEvictLogWindow) {
    if (evicts_in_window > kEvictLogsPerWindow) {
      spdlog::warn("suppressed {} similar warnings: idle connections closed at the limit",
                   evicts_in_window - kEvictLogsPerWindow);
    }
    evict_window_start = now;
    evicts_in_window = 0;
  }
  if (++evicts_in_window <= kEvictLogsPerWindow) {
    spdlog::warn("{} connections open (the limit): closed the longest-idle one (pid {}, idle {} s) to serve pid {}",
                 sessions.size(), oldest->peer.pid,
                 std::chrono::duration_cast<std::chrono::seconds>(now - oldest->idle_since).count(), newcomer);
  }
  end(oldest);  // its coroutine wakes to a closed socket and ends; end() is idempotent
  return true;
}

// SO_PEERCRED is the kernel's word for who connected (the connecting process's credentials at connect
// time); no data is read from a peer that is not our own uid.
bool Server::State::admit(stream_protocol::socket& socket, Peer& peer) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    spdlog::warn("closed a connection whose peer credentials are unavailable");
    return false;
  }
  peer = Peer{cred.pid, cred.uid, cred.gid, {}};
  if (cred.uid != ::geteuid()) {
    // Rate-limited: a hostile local user must not be able to fill the log.
    const auto now = Clock::now();
    if (now - reject_window_start > kRejectLogWindow) {
      if (rejects_in_window > kRejectLogsPerWindow) {
        spdlog::warn("{} more connections from other users were refused", rejects_in_window - kRejectLogsPerWindow);
      }
      reject_window_start = now;
      rejects_in_window = 0;
    }
    if (++rejects_in_window <= kRejectLogsPerWindow) {
      spdlog::warn("refused connection from pid {} uid {}: this agent serves uid {} only", cred.pid, cred.uid,
                   ::geteuid());
    }
    handler.peer_rejected(peer);  // counted for anomaly detection even when no longer logged
    // One error frame, then the close: the other user's client can say why (exit 5) instead of
    // reporting a lost agent. Nothing is read from this peer, and the frame names no path or secret.
    send_now(socket, proto::encode_error(
                         kNoRequestId, {proto::ErrorCode::permission_denied,
                                        "this agent serves uid " + std::to_string(::geteuid()) + " only, not uid " +
                                            std::to_string(cred.uid) +
                                            "; start your own agent or point FLUXLOOP_AGENT_SOCK at your own socket"}));
    return false;
  }
  if (sessions.size() >= cap && !evict_longest_idle(cred.pid)) {
    spdlog::warn("refused connection from pid {}: {} connections open (the limit), none idle", cred.pid,
                 sessions.size());
    send_now(socket, proto::encode_error(kNoRequestId,
                                         {proto::ErrorCode::busy, "the agent has too many requests in progress (" +
                                                                      std::to_string(cap) + "); try again"}));
    return false;
  }
  peer.exe = executable_of(cred.pid);
  return true;
}

asio::awaitable<void> Server::State::accept_loop() {
  auto self = shared_from_this();
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (stopping || ec == asio::error::operation_aborted) break;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    Peer peer;
    if (!admit(socket, peer)) continue;  // the socket closes as it goes out of scope
    auto s = std::make_shared<Session>(std::move(socket));
    s->peer = peer;
    sessions.insert(s);
    count = sessions.size();
    asio::co_spawn(executor, session(s), asio::detached);
  }
}

asio::awaitable<void> Server::State::sweeper() {
  auto self = shared_from_this();
  while (!destroyed && !(stopping && sessions.empty())) {
    co_await deadlines.wait();  // woken early by a re-arm: then it waits for the new time
    if (destroyed) break;
    deadlines.sweep_if_due(sessions);
  }
}

// Reads until `want` bytes are buffered (want <= kInbox), entering the reading phase first.
asio::awaitable<boost::system::error_code> Server::State::fill(Session& s, std::size_t want, bool& reading) {
  if (!reading) {
    deadlines.expect(s, Phase::reading, limits.frame_timeout);
    reading = true;
  }
  s.make_room(want);
  while (s.buffered() < want) {
    auto [ec, got] =
        co_await s.socket.async_read_some(asio::buffer(s.inbox.data() + s.end, s.inbox.size() - s.end), use_tuple);
    if (ec) co_return ec;
    s.end += got;
  }
  co_return boost::system::error_code{};
}

asio::awaitable<void> Server::State::session(std::shared_ptr<Session> s) {
  auto self = shared_from_this();
  // A frame body larger than the inbox (an import): read into a buffer of its own.
  std::string large;
  try {
    while (!stopping && !s->closed) {
      // Idle: wait for the first byte of the next request (unless a pipelined one is buffered).
      deadlines.expect(*s, Phase::idle, limits.idle_timeout);
      boost::system::error_code ec;
      if (s->buffered() == 0) {
        auto [ec0, got] = co_await s->socket.async_read_some(asio::buffer(s->inbox), use_tuple);
        if (ec0) break;  // EOF, reset, idle timeout or shutdown: nothing to answer
        s->end = got;
      }
      // Reading: the rest of the frame must arrive within one deadline (slow-loris protection).
      // With a small request everything arrived with the first read and no deadline is set.
      bool reading = false;
      if (s->buffered() < proto::kHeaderSize) ec = co_await fill(*s, proto::kHeaderSize, reading);
      std::string_view body;
      std::size_t frame_size = 0;
      if (!ec) {
        // Frame first, then parse: the announced size is checked before anything is allocated for it.
        std::array<unsigned char, proto::kHeaderSize> header{};
        std::memcpy(header.data(), s->inbox.data() + s->begin, header.size());
        auto decoded = proto::decode_header(header);
        if (!decoded) {
          deadlines.expect(*s, Phase::writing, limits.write_timeout);
          co_await asio::async_write(s->socket, asio::buffer(proto::encode_error(kNoRequestId, decoded.error())),
                                     use_tuple);
          break;  // the stream is out of sync: close
        }
        const std::size_t length = *decoded;
        if (proto::kHeaderSize + length <= s->inbox.size()) {
          if (s->buffered() < proto::kHeaderSize + length) ec = co_await fill(*s, proto::kHeaderSize + length, reading);
          frame_size = proto::kHeaderSize + length;
          body = std::string_view(s->inbox.data() + s->begin + proto::kHeaderSize, length);
        } else {
          if (!reading) deadlines.expect(*s, Phase::reading, limits.frame_timeout);
          // Everything buffered belongs to this frame (it is larger than the inbox).
          large.assign(s->inbox.data() + s->begin + proto::kHeaderSize, s->buffered() - proto::kHeaderSize);
          s->consume(s->buffered());
          const std::size_t have = large.size();
          large.resize(length);
          auto [ec3, read] = co_await asio::async_read(s->socket, asio::buffer(large.data() + have, length - have), use_tuple);
          ec = ec3;
          body = large;
        }
      }
      if (ec) {
        if (s->timed_out && !stopping) {
          spdlog::info("closed connection from pid {}: request not completed within {}", s->peer.pid,
                       seconds_text(limits.frame_timeout));
          send_now(s->socket, proto::encode_error(kNoRequestId, {proto::ErrorCode::timeout,
                                                                 "request not completed within " +
                                                                     seconds_text(limits.frame_timeout)}));
        }
        break;
      }

      // The hot path first (get_token from the cache): answered here, no handler coroutine, no
      // allocation. Else handling, where the handler owns its own deadlines (a refresh may take a while).
      if (!handler.answer_now(s->peer, body, s->reply)) {
        deadlines.expect(*s, Phase::handling, std::chrono::milliseconds::zero());
        s->reply = co_await handler.handle(s->peer, body);
      }
      // Requests may carry a passphrase, a client's key or log bytes; replies a token: free no copies.
      if (frame_size != 0) s->consume(frame_size);
      if (!large.empty()) {
        proto::wipe(large);
        std::string().swap(large);  // an idle connection keeps no large buffer
      }
      // Writing: one send from here when the socket buffer takes the reply (it does unless the client
      // stopped reading); only the rest waits, under the write deadline.
      const std::size_t sent = send_now(s->socket, s->reply);
      const bool short_send = sent < s->reply.size();
      if (short_send) {
        deadlines.expect(*s, Phase::writing, limits.write_timeout);
        auto [ec4, written] = co_await asio::async_write(
            s->socket, asio::buffer(s->reply.data() + sent, s->reply.size() - sent), use_tuple);
        if (ec4) break;
      }
      proto::wipe(s->reply);
      if (s->reply.capacity() > kKeptReplyCapacity) std::string().swap(s->reply);  // a big reply's buffer goes
      // Asio tries a read at once before waiting for the socket; right after our reply the client has
      // not answered yet, so let the other connections' ready work run first (a queued handler, no
      // syscall) instead of paying a read that finds nothing.
      if (!short_send && s->buffered() == 0) co_await asio::post(executor, asio::use_awaitable);
    }
  } catch (const std::exception& e) {
    spdlog::error("connection from pid {} failed: {}; closing it", s->peer.pid, e.what());
  } catch (...) {
    spdlog::error("connection from pid {} failed; closing it", s->peer.pid);
  }
  proto::wipe(large);
  proto::wipe(s->reply);
  s->consume(s->buffered());
  end(s);
}

void Server::State::end(const std::shared_ptr<Session>& s) {
  s->close();
  sessions.erase(s);
  count = sessions.size();
  if (stopping && sessions.empty()) {
    drained.cancel();
    deadlines.cancel();  // the sweeper's loop ends
  }
}

Server::Server(asio::any_io_executor executor, util::UniqueFd listening, RequestHandler& handler, Limits limits)
    : state_(std::make_shared<State>(std::move(executor), std::move(listening), handler, limits)) {}

Server::~Server() {
  state_->stopping = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->backoff.cancel();
  state_->destroyed = true;
  state_->deadlines.cancel();
  for (const auto& s : state_->sessions) s->close();
}

void Server::start() {
  asio::co_spawn(state_->executor, state_->accept_loop(), asio::detached);
  asio::co_spawn(state_->executor, state_->sweeper(), asio::detached);
}

asio::awaitable<bool> Server::stop() {
  auto state = state_;
  state->stopping = true;
  boost::system::error_code ignored;
  state->acceptor.close(ignored);
  state->backoff.cancel();
  state->deadlines.cancel();  // the sweeper ends once no session is left
  // Cancel all, then wait (as Beast's servers do). A request already being handled or answered
  // keeps its connection until the reply is out; everything else is closed now.
  for (const auto& s : state->sessions) {
    if (s->phase == Phase::idle || s->phase == Phase::reading) s->close();
  }
  if (!state->sessions.empty()) {
    state->drained.expires_after(state->limits.shutdown_grace);
    co_await state->drained.async_wait(use_tuple);
  }
  if (state->sessions.empty()) co_return true;
  spdlog::warn("{} connections still busy after {}; closing them", state->sessions.size(),
               seconds_text(state->limits.shutdown_grace));
  for (const auto& s : state->sessions) s->close();
  co_return false;
}

std::size_t Server::connection_count() const noexcept { return state_->count.load(); }

std::size_t Server::connection_cap() const noexcept { return state_->cap; }

}  // namespace agentd::server
