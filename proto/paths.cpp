#include "proto/paths.hpp"

#include <unistd.h>

#include <cstdlib>

namespace proto {
namespace {
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

}  // namespace proto
