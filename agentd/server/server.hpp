// The agent's socket server: one accept loop and one coroutine per connection, all on one executor.
// Frames are read with deadlines, checked against proto limits, and handed to a RequestHandler.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/server/request_handler.hpp"
#include "agentd/util/unique_fd.hpp"

namespace agentd::server {

inline constexpr std::size_t kMaxConnections = 4096;                 // open connections held at once (fd limit permitting)
inline constexpr std::chrono::milliseconds kIdleTimeout{60'000};     // between requests on one connection
inline constexpr std::chrono::milliseconds kFrameTimeout{5'000};     // a whole frame, once its first byte came
inline constexpr std::chrono::milliseconds kWriteTimeout{5'000};     // one reply, to a client that stopped reading
inline constexpr std::chrono::milliseconds kShutdownGrace{5'000};    // for replies in flight at shutdown

// The server's limits; tests shorten the timeouts.
struct Limits {
  std::size_t max_connections = kMaxConnections;
  std::chrono::milliseconds idle_timeout = kIdleTimeout;
  std::chrono::milliseconds frame_timeout = kFrameTimeout;
  std::chrono::milliseconds write_timeout = kWriteTimeout;
  std::chrono::milliseconds shutdown_grace = kShutdownGrace;
};

class Server {
 public:
  // Serves the listening Unix socket `listening` on `executor`, answering frames with `handler`, which
  // must outlive the server. Nothing happens until start().
  Server(boost::asio::any_io_executor executor, util::UniqueFd listening, RequestHandler& handler,
         Limits limits = {});
  // Closes the acceptor and every connection (without waiting; use stop() for a graceful end).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts accepting. Peers of another uid get one `permission_denied` frame, are logged and closed.
  // At the connection cap (max_connections, lowered to what RLIMIT_NOFILE leaves room for) the
  // longest-idle connection is closed to make room; only when none is idle does a client get `busy`.
  void start();
  // Stops accepting and closes idle connections; a request being handled still gets its reply. Completes
  // when every connection has ended, or after limits.shutdown_grace (then the rest are closed at once).
  // Returns true when everything ended in time.
  boost::asio::awaitable<bool> stop();
  // Connections currently open (any thread may ask).
  std::size_t connection_count() const noexcept;
  // The cap in force: limits.max_connections, or less when the open-file limit is lower.
  std::size_t connection_cap() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace agentd::server
