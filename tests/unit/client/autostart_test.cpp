#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "client/autostart.hpp"

TEST_CASE("the started agent's environment never holds FLUXLOOP_TOKEN or FLUXLOOP_API_KEY") {
  const char* env[] = {"PATH=/bin",
                       "FLUXLOOP_TOKEN=secret-token",
                       "FLUXLOOP_API_KEY=flx_api_secret",
                       "FLUXLOOP_TOKEN_EXTRA=kept",  // a different variable
                       "FLUXLOOP_HOME=/h",
                       "FLUXLOOP_API_KEY",  // malformed entry without '='
                       nullptr};
  auto out = client::agent_environment(env);
  CHECK(out == std::vector<std::string>{"PATH=/bin", "FLUXLOOP_TOKEN_EXTRA=kept", "FLUXLOOP_HOME=/h"});
  CHECK(client::is_secret_variable("FLUXLOOP_TOKEN="));
  CHECK_FALSE(client::is_secret_variable("FLUXLOOP_TOKENS=x"));
  CHECK(client::agent_environment(nullptr).empty());
}

TEST_CASE("find_agentd: next to the client first, then PATH, never the current directory") {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "fluxloop-unit-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path root = tmpl;
  fs::create_directories(root / "self");
  fs::create_directories(root / "path1");
  fs::create_directories(root / "path2");
  auto make = [](const fs::path& p, unsigned mode) {
    std::ofstream(p) << "#!/bin/sh\n";
    ::chmod(p.c_str(), mode);
  };
  make(root / "path1/fluxloop-agentd", 0644);  // not executable: skipped
  make(root / "path2/fluxloop-agentd", 0755);
  const std::string path_env = ":" + (root / "path1").string() + ":" + (root / "path2").string();
  const std::string self = (root / "self/fluxloop").string();

  CHECK(client::find_agentd(self, path_env) == (root / "path2/fluxloop-agentd").string());
  make(root / "self/fluxloop-agentd", 0755);
  CHECK(client::find_agentd(self, path_env) == (root / "self/fluxloop-agentd").string());
  CHECK(client::find_agentd("", (root / "path1").string()).empty());
  fs::remove_all(root);
}
