// A blocking connection from the client to the agent: send one request frame, read one reply.
#pragma once

#include <cstdint>
#include <string>

#include "proto/codec.hpp"

namespace client {

// One connection to the agent's socket. Plain POSIX sockets: the client links no Asio, no TLS.
class AgentConnection {
 public:
  AgentConnection() = default;
  AgentConnection(AgentConnection&&) noexcept;
  AgentConnection& operator=(AgentConnection&&) noexcept;
  ~AgentConnection();

  // Connects to `path`. The error says whether nobody listens (agent not running) or access failed.
  static proto::Result<AgentConnection> open(const std::string& path, int timeout_ms);

  // Sends `request` and waits up to `timeout_ms` for its reply.
  template <typename Req>
  proto::Result<typename Req::Reply> call(const Req& request, int timeout_ms) {
    const std::uint64_t id = ++next_id_;
    auto body = exchange(proto::encode_request(id, request), timeout_ms);
    if (!body) return std::move(body).error();
    return proto::decode_reply<typename Req::Reply>(*body, id);
  }

 private:
  explicit AgentConnection(int fd) : fd_(fd) {}
  proto::Result<std::string> exchange(const std::string& frame, int timeout_ms);

  int fd_ = -1;
  std::uint64_t next_id_ = 0;
};

}  // namespace client
