#include "agentd/daemon/launch.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>

namespace agentd::daemon {
namespace {

// The rules below follow systemd's cgroup-util (skip_slices, skip_user_manager, skip_session,
// cg_path_decode_unit), so `agent status` names the unit exactly as sd_pid_get_user_unit did before
// the agent stopped linking libsystemd (docs/performance.md).

constexpr std::size_t kMaxUnitName = 255;  // UNIT_NAME_MAX - 1
constexpr std::size_t kMaxCgroupFile = 64 * 1024;
constexpr std::array<std::string_view, 11> kUnitTypes = {"service", "socket", "target", "device", "mount", "automount",
                                                         "swap", "timer", "path", "slice", "scope"};

enum class Instances { refuse, allow };

bool valid_unit_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '-' ||
         c == '_' || c == '.' || c == '\\';
}

// unit_name_is_valid: PREFIX[@INSTANCE].TYPE with a known type; a template (empty instance) is not a unit.
bool valid_unit_name(std::string_view name, Instances instances) {
  if (name.empty() || name.size() > kMaxUnitName) return false;
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view type = name.substr(dot + 1);
  bool known = false;
  for (auto t : kUnitTypes) known = known || t == type;
  if (!known) return false;
  const std::string_view stem = name.substr(0, dot);
  const auto at = stem.find('@');
  if (at != std::string_view::npos) {
    if (instances == Instances::refuse || at == 0 || at + 1 == stem.size()) return false;
    if (stem.find('@', at + 1) != std::string_view::npos) return false;
  }
  for (std::size_t i = 0; i < stem.size(); ++i) {
    if (i != at && !valid_unit_char(stem[i])) return false;
  }
  return true;
}

// cg_unescape: a cgroup name that would clash with a kernel file carries a leading '_'.
std::string_view unescape(std::string_view name) { return !name.empty() && name[0] == '_' ? name.substr(1) : name; }

std::string_view skip_separators(std::string_view path) {
  const auto start = path.find_first_not_of('/');
  return start == std::string_view::npos ? std::string_view{} : path.substr(start);
}
std::string_view first_component(std::string_view path) { return path.substr(0, path.find('/')); }
std::string_view after_first(std::string_view path) {
  const auto slash = path.find('/');
  return slash == std::string_view::npos ? std::string_view{} : skip_separators(path.substr(slash));
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool all_digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

std::string_view skip_slices(std::string_view path) {
  for (path = skip_separators(path);; path = after_first(path)) {
    const auto name = first_component(path);
    if (name.size() < 7 || !ends_with(name, ".slice") || !valid_unit_name(unescape(name), Instances::refuse)) {
      return path;
    }
  }
}

// cg_path_get_unit: the first component after the slices, if it is a unit and not a slice.
std::optional<std::string> unit_of(std::string_view path) {
  const auto name = first_component(skip_slices(path));
  if (name.size() < 3) return std::nullopt;
  const auto unit = unescape(name);
  if (!valid_unit_name(unit, Instances::allow) || ends_with(unit, ".slice")) return std::nullopt;
  return std::string(unit);
}

// skip_user_manager / skip_session: "user@UID.service" or "session-ID.scope", else nothing.
std::optional<std::string_view> skip_user_prefix(std::string_view path) {
  path = skip_slices(path);
  const auto name = first_component(path);
  if (name.size() >= 14 && name.substr(0, 5) == "user@" && ends_with(name, ".service") &&
      all_digits(name.substr(5, name.size() - 5 - 8))) {
    return after_first(path);
  }
  if (name.size() >= 15 && name.substr(0, 8) == "session-" && ends_with(name, ".scope")) {
    const auto id = name.substr(8, name.size() - 8 - 6);
    bool valid = true;
    for (char c : id) valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    if (valid) return after_first(path);
  }
  return std::nullopt;
}

// The systemd hierarchy's path in a /proc/PID/cgroup file: the unified "0::PATH" line, else the
// legacy "N:name=systemd:PATH" one.
std::optional<std::string_view> systemd_path(std::string_view file) {
  std::optional<std::string_view> legacy;
  while (!file.empty()) {
    const auto end = file.find('\n');
    const std::string_view line = file.substr(0, end);
    file = end == std::string_view::npos ? std::string_view{} : file.substr(end + 1);
    const auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const auto id = line.substr(0, first);
    const auto controllers = line.substr(first + 1, second - first - 1);
    if (id == "0" && controllers.empty()) return line.substr(second + 1);
    if (controllers == "name=systemd") legacy = line.substr(second + 1);
  }
  return legacy;
}

// cg_get_root_path + cg_shift_path: inside a container, paths are relative to its init's cgroup
// (minus "/init.scope", "/system.slice" or "/system").
std::string_view shift_root(std::string_view path, std::string_view init_file) {
  auto root = systemd_path(init_file);
  if (!root) return path;
  for (std::string_view suffix : {"/init.scope", "/system.slice", "/system"}) {
    if (ends_with(*root, suffix)) {
      root->remove_suffix(suffix.size());
      break;
    }
  }
  if (root->empty() || *root == "/") return path;
  if (path.substr(0, root->size()) == *root && (path.size() == root->size() || path[root->size()] == '/')) {
    return path.substr(root->size());
  }
  return path;
}

std::string read_small_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (!in) return text;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text.size() > kMaxCgroupFile) text.clear();
  return text;
}

}  // namespace

std::string unit_from_cgroup(std::string_view self, std::string_view init) {
  auto path = systemd_path(self);
  if (!path) return {};
  const auto shifted = shift_root(*path, init);
  if (auto rest = skip_user_prefix(shifted)) {
    if (auto unit = unit_of(*rest)) return *unit;
  }
  return unit_of(shifted).value_or(std::string{});
}

std::string systemd_unit() {
  if (std::getenv("INVOCATION_ID") == nullptr) return {};
  return unit_from_cgroup(read_small_file("/proc/self/cgroup"), read_small_file("/proc/1/cgroup"));
}

}  // namespace agentd::daemon
