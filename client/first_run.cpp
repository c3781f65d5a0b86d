#include "client/first_run.hpp"

#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "client/key_file.hpp"

namespace client {
namespace {

constexpr const char* kHint = "nothing is set up yet: run `fluxloop auth login` to log in (`fluxloop --help` lists every command)";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// No agent to ask: what an agent would load at start-up. Unreadable or malformed files count as
// "something is set up": the hint must never mislead someone who has.
bool home_is_empty() {
  const std::string config = config_path_from_environment();
  if (config.empty()) return false;
  const std::string home = config.substr(0, config.rfind('/'));
  if (exists(home + "/credentials.json")) return false;
  if (!exists(config)) return true;
  std::ifstream in(config);
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return false;
  const auto profiles = json.find("profiles");
  return profiles == json.end() || (profiles->is_object() && profiles->empty());
}

}  // namespace

std::string first_run_hint(App& app) {
  auto reply = app.call(proto::ProfileList{}, Autostart::never);
  if (reply) return reply->profiles.empty() ? kHint : "";
  if (reply.error().kind == FailureKind::no_listener && home_is_empty()) return kHint;
  return "";
}

}  // namespace client
