#include "client/agent_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace client {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline: false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

proto::Error unreachable(const std::string& what) {
  // Exit 4 is chosen by the caller for every unreachable-agent error; the code here is `network`
  // only so that the message travels; main() maps AgentConnection failures to exit 4.
  return proto::Error{proto::ErrorCode::network, what};
}

}  // namespace

AgentConnection::AgentConnection(AgentConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), next_id_(other.next_id_) {}

AgentConnection& AgentConnection::operator=(AgentConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    next_id_ = other.next_id_;
  }
  return *this;
}

AgentConnection::~AgentConnection() {
  if (fd_ >= 0) ::close(fd_);
}

proto::Result<AgentConnection> AgentConnection::open(const std::string& path, int /*timeout_ms*/) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return unreachable("socket path too long: " + path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unreachable(std::string("socket: ") + std::strerror(errno));
  AgentConnection connection(fd);
  // A Unix-socket connect does not block on a listening peer (it fails with EAGAIN when the backlog
  // is full, which we report), so no timeout is needed here.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return unreachable("cannot connect to the agent at " + path + ": " + std::strerror(errno));
  }
  return connection;
}

proto::Result<std::string> AgentConnection::exchange(const std::string& frame, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t sent = 0;
  while (sent < frame.size()) {
    if (!wait_for(fd_, POLLOUT, deadline)) return unreachable("timed out sending to the agent");
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return unreachable(std::string("lost the agent while sending: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }

  auto read_exact = [&](char* out, std::size_t size) -> proto::Status {
    std::size_t got = 0;
    while (got < size) {
      if (!wait_for(fd_, POLLIN, deadline)) return unreachable("timed out waiting for the agent");
      ssize_t n = ::recv(fd_, out + got, size - got, 0);
      if (n == 0) return unreachable("the agent closed the connection");
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return unreachable(std::string("lost the agent: ") + std::strerror(errno));
      }
      got += static_cast<std::size_t>(n);
    }
    return proto::Ok{};
  };

  unsigned char header[proto::kHeaderSize];
  if (auto s = read_exact(reinterpret_cast<char*>(header), sizeof(header)); !s) return std::move(s).error();
  auto length = proto::decode_header(std::span<const unsigned char, proto::kHeaderSize>(header));
  if (!length) return proto::Error{proto::ErrorCode::bad_request, "bad reply from agent: " + length.error().message};
  std::string body(*length, '\0');
  if (auto s = read_exact(body.data(), body.size()); !s) return std::move(s).error();
  return body;
}

}  // namespace client
