// What the server needs from the rest of the agent: one reply frame for one request frame body.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace agentd::server {

// The peer of a connection, from SO_PEERCRED at accept time.
struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string exe;  // /proc/PID/exe read at accept (a pid may be reused later); empty when unreadable
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers one frame body (untrusted bytes, at most proto::kMaxFrame) with exactly one complete
  // reply frame (header included). Never throws for bad input: errors are encoded in the reply.
  virtual boost::asio::awaitable<std::string> handle(const Peer& peer, std::string_view body) = 0;
  // The hot path, tried first for every frame: when the answer needs no waiting (get_token from the
  // token cache), puts the complete reply frame into `reply` (replacing its bytes, reusing its
  // capacity) and returns true, with the same reply and the same audit handle() would give. Else
  // returns false, leaving `reply` untouched, and the server calls handle().
  virtual bool answer_now(const Peer& /*peer*/, std::string_view /*body*/, std::string& /*reply*/) {
    return false;
  }
  // Told of every connection refused because its peer has another uid (as the server refuses it),
  // for monitoring. Must be cheap and must not throw.
  virtual void peer_rejected(const Peer& /*peer*/) noexcept {}
};

}  // namespace agentd::server
