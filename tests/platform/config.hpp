// Runtime configuration of the platform emulator (plain values; no JSON, Asio or Beast).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace platform {

// The platform's CLI-connect start answer: `expires_in`/`interval` or `expires_in_sec`/`interval_sec`.
enum class StartSpelling { plain, sec };
// `expires_at` of a CLI-connect credential: "…Z", Python's isoformat ("….123456+00:00"), or absent.
enum class ExpiresAtFormat { z, python, omit };
// Where POST /api/api-keys puts the key value (docs/platform-api.md).
enum class KeyShape { key, api_key, api_key_object, api_key_data };
// GET /api/projects and /api/api-keys: a bare JSON array or {"projects"|"api_keys": [...]}.
enum class ListShape { array, object };
// Ids of /v1 API keys: "key_<hex>" or UUIDs.
enum class V1KeyIds { key, uuid };

// Knob spellings of those enums, indexed by the enumerator's value.
inline constexpr std::array<std::string_view, 2> kStartSpellingNames{"plain", "sec"};
inline constexpr std::array<std::string_view, 3> kExpiresAtFormatNames{"z", "python", "omit"};
inline constexpr std::array<std::string_view, 4> kKeyShapeNames{"key", "api_key", "api_key_object", "api_key_data"};
inline constexpr std::array<std::string_view, 2> kListShapeNames{"array", "object"};
inline constexpr std::array<std::string_view, 2> kV1KeyIdsNames{"key", "uuid"};

// The enumerator spelled `name` in `names`, or nullopt.
template <typename E, std::size_t N>
std::optional<E> enum_from_name(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<E>(i);
  return std::nullopt;
}
// The spelling of `value` in `names`.
template <typename E, std::size_t N>
std::string_view enum_name(const std::array<std::string_view, N>& names, E value) {
  return names.at(static_cast<std::size_t>(value));
}

// Runtime behaviour; every field can be changed with POST /_emulator/config.
struct Config {
  std::chrono::seconds token_lifetime{3600};         // access token lifetime (expires_in)
  std::chrono::seconds refresh_token_lifetime{0};    // 0: refresh tokens never expire
  bool rotate = true;                                // refresh-token rotation with reuse detection
  bool auto_approve = true;                          // browser and device flows approve themselves
  bool deny_authorize = false;                       // /oauth/authorize redirects with error=access_denied
  int device_approve_after_polls = 1;                // auto-approve once this many polls were answered
  std::chrono::milliseconds device_approve_after{0}; // ...and this long after the device code was issued
  std::chrono::seconds device_interval{1};           // "interval" of device authorization responses
  std::chrono::seconds device_code_lifetime{600};
  std::chrono::seconds code_lifetime{60};            // authorization codes
  std::string user_email = "user@example.com";       // the user every new grant belongs to
  std::string default_authority = "127.0.0.1";       // host[:port] used when the Host header is unusable

  // The platform's own surface (/api): CLI connect, projects, project-scoped API keys.
  std::chrono::seconds cli_connect_interval{1};       // "interval" of CLI-connect logins
  std::chrono::seconds cli_connect_lifetime{600};     // "expires_in" of CLI-connect logins
  StartSpelling cli_connect_spelling = StartSpelling::plain;
  bool cli_connect_auto_approve = true;               // logins decide themselves after N pending polls
  int cli_connect_approve_after_polls = 1;
  bool cli_connect_deny = false;                      // ...and that automatic decision is "denied"
  ExpiresAtFormat cli_connect_expires_at = ExpiresAtFormat::z;
  KeyShape api_key_shape = KeyShape::key;
  ListShape api_list_shape = ListShape::array;
  V1KeyIds v1_key_ids = V1KeyIds::key;
};

}  // namespace platform
