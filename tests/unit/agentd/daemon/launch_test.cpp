#include <doctest/doctest.h>

#include <string>

#include "agentd/daemon/launch.hpp"

using agentd::daemon::unit_from_cgroup;

// The expected names are what libsystemd's sd_pid_get_user_unit / sd_pid_get_unit report for these
// cgroups (systemd's cgroup-util rules), which `agent status` showed before the agent dropped libsystemd.

TEST_CASE("launch: a user service under user@UID.service is named by its own unit") {
  CHECK(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/fluxloop-agentd.service\n", "") ==
        "fluxloop-agentd.service");
  // Nested slices and a sub-cgroup below the service.
  CHECK(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.slice/"
                         "fluxloop-agentd.service/main\n",
                         "") == "fluxloop-agentd.service");
  // A template instance.
  CHECK(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/fluxloop-agentd@work.service\n",
                         "") == "fluxloop-agentd@work.service");
}

TEST_CASE("launch: a system service is named by its unit") {
  CHECK(unit_from_cgroup("0::/system.slice/fluxloop-agentd.service\n", "") == "fluxloop-agentd.service");
  // An escaped cgroup name (leading '_') is unescaped.
  CHECK(unit_from_cgroup("0::/system.slice/_cpu.service\n", "") == "cpu.service");
  // The user manager itself is a system unit.
  CHECK(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", "") == "init.scope");
  CHECK(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service\n", "") == "user@1000.service");
}

TEST_CASE("launch: a login session's scope, and paths with no unit") {
  CHECK(unit_from_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n", "") == "session-3.scope");
  CHECK(unit_from_cgroup("0::/\n", "").empty());
  CHECK(unit_from_cgroup("0::/user.slice\n", "").empty());
  CHECK(unit_from_cgroup("0::/not-a-unit/child\n", "").empty());
  CHECK(unit_from_cgroup("", "").empty());
  CHECK(unit_from_cgroup("garbage without colons\n", "").empty());
  CHECK(unit_from_cgroup("0::/system.slice/x.bogus\n", "").empty());
  CHECK(unit_from_cgroup("0::/system.slice/@x.service\n", "").empty());
}

TEST_CASE("launch: cgroup v1 reads the name=systemd hierarchy, the unified line wins when both exist") {
  const std::string v1 =
      "12:memory:/user.slice\n"
      "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/fluxloop-agentd.service\n";
  CHECK(unit_from_cgroup(v1, "") == "fluxloop-agentd.service");
  const std::string hybrid =
      "1:name=systemd:/system.slice/old.service\n"
      "0::/system.slice/fluxloop-agentd.service\n";
  CHECK(unit_from_cgroup(hybrid, "") == "fluxloop-agentd.service");
}

TEST_CASE("launch: inside a container the init's cgroup is the root") {
  const std::string init = "0::/machine.slice/ctr.scope/init.scope\n";
  CHECK(unit_from_cgroup("0::/machine.slice/ctr.scope/system.slice/fluxloop-agentd.service\n", init) ==
        "fluxloop-agentd.service");
  CHECK(unit_from_cgroup("0::/machine.slice/ctr.scope/user.slice/user-1000.slice/user@1000.service/app.slice/"
                         "fluxloop-agentd.service\n",
                         init) == "fluxloop-agentd.service");
  // Without the shift the container's scope would be taken for the unit.
  CHECK(unit_from_cgroup("0::/machine.slice/ctr.scope/system.slice/fluxloop-agentd.service\n", "") == "ctr.scope");
}
