// The platform CLI's login file, $HOME/.fluxloop/auth.json (CONTRACT.md "The platform CLI keeps
// working, through the agent"): its strict parser, the bridge's rendering of it, and safe file access.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace agentd::bridge {

// Largest auth.json read; the platform CLI's own file is a few hundred bytes.
inline constexpr std::size_t kMaxAuthFileBytes = 64 * 1024;

// One login as the platform CLI stores it. The destructor wipes both tokens.
struct PlatformLogin {
  std::string access_token;
  std::string refresh_token;  // always empty in a file the bridge writes
  std::string expires_at;     // normalised to RFC 3339 UTC with `Z` by the parser
  std::string user_id;
  std::string user_email;

  PlatformLogin() = default;
  PlatformLogin(const PlatformLogin&) = default;
  PlatformLogin(PlatformLogin&&) noexcept = default;
  PlatformLogin& operator=(const PlatformLogin&) = default;
  PlatformLogin& operator=(PlatformLogin&&) noexcept = default;
  ~PlatformLogin();
};

// Parses auth.json strictly: access_token, refresh_token, expires_at and user_id are required strings
// (user_email optional), expires_at a date the platform CLI accepts (tokens::normalize_expires_at).
// Errors (invalid_argument) name the field, never a value.
proto::Result<PlatformLogin> parse_platform_login(std::string_view text);
// True when `text` is an object with the platform CLI's required keys (and no "profiles"): the
// credentials-file parser uses this to recognise the shape.
bool looks_like_platform_login(std::string_view text);

// The bridge file's text for `login`, with "refresh_token": "" whatever `login` holds.
std::string render_bridge(const PlatformLogin& login);

// $HOME/.fluxloop/auth.json with HOME from the environment, else the passwd entry.
std::string default_bridge_path();

// Reads auth.json without following a symlink (O_NOFOLLOW), refusing anything but a regular file
// owned by this uid and at most kMaxAuthFileBytes. nullopt when it does not exist.
proto::Result<std::optional<std::string>> read_auth_file(const std::string& path);
// Makes the file's directory a 0700 directory of this uid: creates it, or narrows an existing one's
// mode; refuses a symlink or a directory owned by someone else (store_error naming it).
proto::Status prepare_directory(const std::string& path);
// prepare_directory, then replaces `path` atomically with `content`, mode 0600.
proto::Status write_bridge_file(const std::string& path, std::string_view content);
// Unlinks `path`. Ok with true when it removed a file, false when there was none.
proto::Result<bool> remove_bridge_file(const std::string& path);

}  // namespace agentd::bridge
