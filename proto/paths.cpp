#include "proto/paths.hpp"

#include <unistd.h>

#include <cstdlib>

namespace proto {
namespace {

constexpr std::size_t kMaxPidDigits = 10;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

}  // namespace

std::string default_socket_path() {
  if (auto path = env("FLUXLOOP_AGENT_SOCK"); !path.empty()) return path;
  if (auto runtime = env("XDG_RUNTIME_DIR"); !runtime.empty()) return runtime + "/fluxloop/agent.sock";
  return "/tmp/fluxloop-" + std::to_string(::getuid()) + "/agent.sock";
}

bool socket_path_from_environment() { return !env("FLUXLOOP_AGENT_SOCK").empty(); }

std::string format_agent_record(const AgentRecord& record) {
  return std::to_string(record.pid) + "\n" + record.socket + "\n";
}

std::optional<AgentRecord> parse_agent_record(std::string_view text) {
  const auto first = text.find('\n');
  if (first == std::string_view::npos) return std::nullopt;
  const std::string_view pid = text.substr(0, first);
  text.remove_prefix(first + 1);
  const auto second = text.find('\n');
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view socket = text.substr(0, second);
  if (pid.empty() || pid.size() > kMaxPidDigits || socket.empty() || socket.front() != '/') return std::nullopt;
  AgentRecord record;
  for (char c : pid) {
    if (c < '0' || c > '9') return std::nullopt;
    record.pid = record.pid * 10 + (c - '0');
  }
  for (char c : socket) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  }
  if (record.pid <= 0) return std::nullopt;
  record.socket = std::string(socket);
  return record;
}

}  // namespace proto
