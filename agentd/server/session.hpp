// One connection of the server (agentd/server/server.cpp): its socket, peer, phase, deadline and
// buffers. Private to agentd/server/; includes Asio, so keep it out of other headers.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/asio/local/stream_protocol.hpp>

#include "agentd/server/request_handler.hpp"

namespace agentd::server {

using SessionClock = std::chrono::steady_clock;

enum class Phase { idle, reading, handling, writing };

// Bytes of a connection's own read buffer: a whole small request (get_token, status: under 200
// bytes) arrives with one read. Larger frames (an import) get a body buffer of their own.
inline constexpr std::size_t kInbox = 512;

struct Session {
  explicit Session(boost::asio::local::stream_protocol::socket s) : socket(std::move(s)) {}

  void close() {
    closed = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  }
  std::size_t buffered() const noexcept { return end - begin; }
  // Moves buffered bytes to the front when a frame of `room` bytes starting at them would not fit
  // (room <= kInbox).
  void make_room(std::size_t room) noexcept {
    if (begin + room <= inbox.size()) return;
    std::memmove(inbox.data(), inbox.data() + begin, buffered());
    end -= begin;
    std::memset(inbox.data() + end, 0, inbox.size() - end);  // no stale request bytes left behind
    begin = 0;
  }
  // Drops `n` consumed bytes (a frame handled), wiping them: requests may carry passphrases or keys.
  void consume(std::size_t n) noexcept {
    std::memset(inbox.data() + begin, 0, n);
    begin += n;
    if (begin == end) begin = end = 0;
  }

  boost::asio::local::stream_protocol::socket socket;
  Peer peer;
  Phase phase = Phase::idle;
  SessionClock::time_point idle_since = SessionClock::now();
  // The one deadline of the phase the session is in (max: none); the server's sweeper cancels the
  // pending operation of a session past it. Setting it is a plain store, no timer syscall.
  SessionClock::time_point deadline = SessionClock::time_point::max();
  bool timed_out = false;
  bool closed = false;
  std::size_t begin = 0, end = 0;  // buffered, not yet consumed bytes: inbox[begin, end)
  std::array<char, kInbox> inbox{};
  // The reply being sent; wiped after each send (it may hold a token), its capacity kept so the hot
  // path allocates nothing per request.
  std::string reply;
};

using Sessions = std::unordered_set<std::shared_ptr<Session>>;

}  // namespace agentd::server
