#include "agentd/helpers/wire.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "proto/frame.hpp"
#include "proto/mask.hpp"

namespace agentd::helpers {

std::string encode_frame(const nlohmann::json& message) {
  std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto header = proto::encode_header(static_cast<std::uint32_t>(body.size()));
  std::string out(reinterpret_cast<const char*>(header.data()), header.size());
  out += body;
  proto::wipe(body);
  return out;
}

proto::Result<std::size_t> frame_length(std::span<const unsigned char, 4> header) {
  const std::uint32_t length = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
  if (length == 0 || length > kMaxHelperFrame) {
    return proto::Error{proto::ErrorCode::frame_too_large, "helper frame of " + std::to_string(length) + " bytes"};
  }
  return std::size_t{length};
}

namespace {

bool read_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::optional<nlohmann::json> read_frame_blocking(int fd) {
  std::array<unsigned char, 4> header{};
  if (!read_all(fd, reinterpret_cast<char*>(header.data()), header.size())) return std::nullopt;
  auto length = frame_length(header);
  if (!length) return std::nullopt;
  std::string body(*length, '\0');
  proto::WipeOnExit wipe{body};
  if (!read_all(fd, body.data(), body.size())) return std::nullopt;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

bool write_frame_blocking(int fd, std::string_view frame) {
  while (!frame.empty()) {
    const ssize_t n = ::write(fd, frame.data(), frame.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    frame.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool start_helper(const char* program) {
  // Tokens and keyring secrets pass through: no core file, no ptrace by the user's other processes.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // An agent gone mid-reply is a write error (then EOF and exit), not a death by signal.
  ::signal(SIGPIPE, SIG_IGN);
  if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "%s: started by fluxloop-agentd only, not by hand\n", program);
    return false;
  }
  return true;
}

}  // namespace agentd::helpers
