#include "agentd/bridge/auth_file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "agentd/tokens/clock.hpp"
#include "agentd/util/atomic_file.hpp"
#include "agentd/util/unique_fd.hpp"
#include "agentd/util/json_wipe.hpp"
#include "proto/mask.hpp"

namespace agentd::bridge {
namespace {

using nlohmann::json;

constexpr mode_t kDirMode = 0700;

struct Field {
  std::string_view key;
  std::string PlatformLogin::*member;
  bool required;
};
// What the platform CLI's AuthToken.from_dict demands (user_email alone may be missing).
constexpr std::array kFields{
    Field{"access_token", &PlatformLogin::access_token, true}, Field{"refresh_token", &PlatformLogin::refresh_token, true},
    Field{"expires_at", &PlatformLogin::expires_at, true},     Field{"user_id", &PlatformLogin::user_id, true},
    Field{"user_email", &PlatformLogin::user_email, false},
};

proto::Error invalid(std::string message) {
  return proto::Error{proto::ErrorCode::invalid_argument, "auth.json: " + std::move(message)};
}

proto::Error store_error(const std::string& what, const std::string& path) {
  return proto::Error{proto::ErrorCode::store_error, what + " " + path + ": " + std::strerror(errno)};
}

std::optional<json> parse_object(std::string_view text) {
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) return std::nullopt;
  if (!document.is_object()) {
    util::wipe_json(document);
    return std::nullopt;
  }
  return document;
}

}  // namespace

PlatformLogin::~PlatformLogin() {
  proto::wipe(access_token);
  proto::wipe(refresh_token);
}

proto::Result<PlatformLogin> parse_platform_login(std::string_view text) {
  if (text.size() > kMaxAuthFileBytes) return invalid("larger than " + std::to_string(kMaxAuthFileBytes) + " bytes");
  auto document = parse_object(text);
  if (!document) return invalid("not a JSON object");
  util::JsonWiper wiper{*document};
  PlatformLogin login;
  for (const auto& field : kFields) {
    auto it = document->find(field.key);
    if (it == document->end() || it->is_null()) {
      if (field.required) return invalid("\"" + std::string(field.key) + "\" is missing");
      continue;
    }
    if (!it->is_string()) return invalid("\"" + std::string(field.key) + "\" must be a string");
    login.*field.member = it->get_ref<const std::string&>();
  }
  if (login.access_token.empty()) return invalid("\"access_token\" is empty");
  auto expires = tokens::normalize_expires_at(login.expires_at);
  if (!expires) return invalid("\"expires_at\" is not a date and time");
  login.expires_at = std::move(*expires);
  return login;
}

bool looks_like_platform_login(std::string_view text) {
  auto document = parse_object(text);
  if (!document) return false;
  util::JsonWiper wiper{*document};
  if (document->contains("profiles")) return false;
  for (const auto& field : kFields) {
    if (field.required && !document->contains(field.key)) return false;
  }
  return true;
}

std::string render_bridge(const PlatformLogin& login) {
  // Key order and indentation as the platform CLI writes the file itself.
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  document["access_token"] = login.access_token;
  document["refresh_token"] = "";
  document["expires_at"] = login.expires_at;
  document["user_id"] = login.user_id;
  document["user_email"] = login.user_email;
  util::JsonWiper wiper{document};
  return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string default_bridge_path() {
  std::string home;
  if (const char* env = std::getenv("HOME"); env && *env) home = env;
  if (home.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home = pw->pw_dir;
  }
  return home + "/.fluxloop/auth.json";
}

proto::Result<std::optional<std::string>> read_auth_file(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the reader; it is refused below anyway.
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    if (errno == ELOOP) return proto::Error{proto::ErrorCode::store_error, path + " is a symbolic link; the CLI bridge leaves it alone"};
    return store_error("cannot open", path);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return store_error("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return proto::Error{proto::ErrorCode::store_error, path + " is not a regular file"};
  if (st.st_uid != ::getuid()) {
    return proto::Error{proto::ErrorCode::store_error, path + " belongs to another user; the CLI bridge leaves it alone"};
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxAuthFileBytes) {
    return proto::Error{proto::ErrorCode::store_error, path + " is larger than " + std::to_string(kMaxAuthFileBytes) + " bytes"};
  }
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      proto::wipe(content);
      return store_error("cannot read", path);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  return std::optional<std::string>{std::move(content)};
}

proto::Status prepare_directory(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) return proto::Error{proto::ErrorCode::store_error, "the bridge file " + path + " has no directory"};
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) return store_error("cannot create directory", dir);
  util::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return proto::Error{proto::ErrorCode::store_error, dir + " is not a directory (a symbolic link?); the CLI bridge writes nothing there"};
    }
    return store_error("cannot open directory", dir);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return store_error("cannot stat", dir);
  if (st.st_uid != ::getuid()) {
    return proto::Error{proto::ErrorCode::store_error, dir + " belongs to another user; the CLI bridge writes nothing there"};
  }
  // The platform CLI creates it with the umask's mode (0755 usually): narrowed so no other user can
  // even list it, as the contract asks. fchmod on the opened fd: no path race.
  if ((st.st_mode & 07777) != kDirMode && ::fchmod(fd.get(), kDirMode) != 0) return store_error("cannot chmod 700", dir);
  return proto::Ok{};
}

proto::Status write_bridge_file(const std::string& path, std::string_view content) {
  if (auto ready = prepare_directory(path); !ready) return ready;
  return util::write_file_atomic(path, content);
}

proto::Result<bool> remove_bridge_file(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return store_error("cannot remove", path);
}

}  // namespace agentd::bridge
