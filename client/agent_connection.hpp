// A blocking connection from the client to the agent: send one request frame, read one reply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "client/outcome.hpp"
#include "proto/codec.hpp"
#include "proto/mask.hpp"
#include "proto/token_fast.hpp"

namespace client {

// One connection to the agent's socket. Plain POSIX sockets: the client links no Asio, no TLS.
class AgentConnection {
 public:
  AgentConnection() = default;
  AgentConnection(AgentConnection&&) noexcept;
  AgentConnection& operator=(AgentConnection&&) noexcept;
  ~AgentConnection();

  // Connects to the socket at `path` and checks, before sending a byte, that the process serving it
  // runs as our uid (SO_PEERCRED): else exit 5, kind local. Failure kind no_listener when nobody
  // listens there (the agent is not running: ENOENT, ECONNREFUSED), else unreachable; both exit 4.
  static Outcome<AgentConnection> open(const std::string& path);

  // Sends `request` and waits up to `timeout_ms` for its reply. Transport problems (timeout, agent
  // gone) fail with exit 4; an error reply fails with the agent's code (failure_from_agent).
  template <typename Req>
  Outcome<typename Req::Reply> call(const Req& request, int timeout_ms) {
    const std::uint64_t id = ++next_id_;
    std::string frame = encode(id, request);
    auto body = exchange(frame, timeout_ms);
    proto::wipe(frame);  // it may carry a passphrase or a key (agent lock, --api-key)
    if (!body) return std::move(body).error();
    auto reply = decode<typename Req::Reply>(*body, id);
    proto::wipe(*body);  // it may carry a token
    if (!reply) return failure_from_agent(reply.error());
    return std::move(reply).value();
  }

  const std::string& path() const { return path_; }

 private:
  AgentConnection(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Outcome<std::string> exchange(const std::string& frame, int timeout_ms);
  // get_token, the hot request, is encoded and its reply decoded without a JSON DOM (proto/token_fast.hpp).
  template <typename Req>
  static std::string encode(std::uint64_t id, const Req& request) {
    if constexpr (std::is_same_v<Req, proto::GetToken>) return proto::encode_get_token(id, request);
    else return proto::encode_request(id, request);
  }
  template <typename Rep>
  static proto::Result<Rep> decode(std::string_view body, std::uint64_t id) {
    if constexpr (std::is_same_v<Rep, proto::TokenReply>) return proto::decode_token_reply(body, id);
    else return proto::decode_reply<Rep>(body, id);
  }

  int fd_ = -1;
  std::string path_;
  std::uint64_t next_id_ = 0;
};

// The directory of the default socket path: created 0700 when missing, else it must be a real directory
// owned by us with no group/other permission (another user may have created it first to catch our
// requests). Failure: exit 5 naming the directory.
Outcome<proto::Ok> ensure_private_socket_dir(const std::string& dir);

// The socket the agent recorded in `home`/agent.lock (proto::AgentRecord), or "" when there is none
// or the file is not a regular file of ours.
std::string recorded_agent_socket(const std::string& home);

}  // namespace client
