#include "client/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "client/files.hpp"
#include "client/precedence.hpp"
#include "proto/mask.hpp"

namespace client {
namespace {

// config.json holds profiles and settings, never secrets; a few hundred KiB is already absurd.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

std::string getenv_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

Failure key_file_failure(const std::string& path, const std::string& why) {
  return Failure{proto::kExitError,
                 "cannot use the API key file " + path + " (the api_key_file setting): " + why +
                     "; fix it or unset the setting with `fluxloop config set api_key_file ''`",
                 FailureKind::local};
}

}  // namespace

std::string config_path_from_environment() {
  std::string home = getenv_or_empty("FLUXLOOP_HOME");
  if (home.empty()) {
    const std::string user_home = getenv_or_empty("HOME");
    if (user_home.empty()) return {};
    home = user_home + "/.fluxloop";
  }
  return home + "/config.json";
}

Outcome<std::optional<std::string>> api_key_file_setting(const std::string& config_path) {
  if (config_path.empty()) return std::optional<std::string>();
  ScopedFd file{::open(config_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (file.fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Failure{proto::kExitError, "cannot read " + config_path + ": " + std::strerror(errno), FailureKind::local};
  }
  // The setting names a file whose key we send: only a config.json of ours that nobody else can write
  // may name it (the agent applies the same rule to the whole file).
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return Failure{proto::kExitError, "cannot read " + config_path + ": " + std::strerror(errno), FailureKind::local};
  if (st.st_uid != ::geteuid()) {
    return Failure{proto::kExitError,
                   "refusing " + config_path + ": it is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                       std::to_string(::geteuid()) + "); check it, then `chown` it to yourself",
                   FailureKind::local};
  }
  if ((st.st_mode & 022) != 0) {
    return Failure{proto::kExitError,
                   "refusing " + config_path + ": it is writable by other users; check it, then `chmod 600 " + config_path + "`",
                   FailureKind::local};
  }
  int error = 0;
  auto text = read_bounded(file.fd, kMaxConfigBytes, error);
  if (!text) return Failure{proto::kExitError, "cannot read " + config_path + ": " + std::strerror(error), FailureKind::local};
  // `auth token` without a profile reads this file on every run: skip the JSON parse (most of the
  // cost) when the setting cannot be in it. A corrupt file is still reported when it could be.
  if (text->find("\"api_key_file\"") == std::string::npos) return std::optional<std::string>();
  const auto document = nlohmann::json::parse(*text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return Failure{proto::kExitError, "cannot read " + config_path + ": not a JSON object (the agent reports what is wrong)",
                   FailureKind::local};
  }
  const auto it = document.find("api_key_file");
  if (it == document.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(it->get<std::string>());
}

Outcome<std::string> read_api_key_file(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the client before fstat refuses it.
  ScopedFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (file.fd < 0) return key_file_failure(path, std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return key_file_failure(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return key_file_failure(path, "not a regular file");
  if (st.st_uid != ::geteuid()) return key_file_failure(path, "the file is owned by another user");
  // Checked on the open descriptor, so the file judged is the file read.
  if ((st.st_mode & 077) != 0) {
    return Failure{proto::kExitError,
                   "refusing the API key file " + path + ": it is readable or writable by other users; run `chmod 600 " +
                       path + "`",
                   FailureKind::local};
  }
  int error = 0;
  auto text = read_bounded(file.fd, kMaxKeyFileBytes, error);
  if (!text) return key_file_failure(path, error == EFBIG ? "larger than an API key file can be" : std::strerror(error));
  std::string_view key = *text;
  key = key.substr(0, key.find('\n'));
  while (!key.empty() && std::strchr(" \t\r", key.front())) key.remove_prefix(1);
  while (!key.empty() && std::strchr(" \t\r", key.back())) key.remove_suffix(1);
  if (!api_key_format_ok(key)) {
    return key_file_failure(path, "it holds no API key (keys start with flx_api_ or flx_sa_)");
  }
  std::string result(key);
  proto::wipe(*text);
  return result;
}

Outcome<std::optional<std::string>> configured_api_key() {
  auto setting = api_key_file_setting(config_path_from_environment());
  if (!setting) return std::move(setting).error();
  if (!*setting) return std::optional<std::string>();
  auto key = read_api_key_file(**setting);
  if (!key) return std::move(key).error();
  return std::optional<std::string>(std::move(*key));
}

}  // namespace client
