#include "agentd/daemon/launch.hpp"

#include <cstdlib>

#include <systemd/sd-login.h>

namespace agentd::daemon {

std::string systemd_unit() {
  if (std::getenv("INVOCATION_ID") == nullptr) return {};
  char* unit = nullptr;
  // A user manager's service first (the packaged units are user units), else a system service.
  if (::sd_pid_get_user_unit(0, &unit) < 0 && ::sd_pid_get_unit(0, &unit) < 0) return {};
  std::string name = unit ? unit : "";
  std::free(unit);
  return name;
}

}  // namespace agentd::daemon
