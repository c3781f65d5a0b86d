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
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers one frame body (untrusted bytes, at most proto::kMaxFrame) with exactly one complete
  // reply frame (header included). Never throws for bad input: errors are encoded in the reply.
  virtual boost::asio::awaitable<std::string> handle(const Peer& peer, std::string_view body) = 0;
};

}  // namespace agentd::server
