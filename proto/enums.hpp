// Wire enums: each value has exactly one spelling on the wire, defined here once for client and
// agent (docs/protocol.md "Enums"). Adding a value: extend the enum and its kNames table; the
// static_asserts in enums.cpp fail until every value has its name in enum order.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace proto {

// How a profile logs in and refreshes (agentd/kinds/<kind>/).
enum class ProfileKind { oidc, fluxloop };
// The flow a login_start began: what the client shows.
enum class LoginMethod { browser, device, cli_connect };
// A profile's state in auth status.
enum class ProfileState { valid, expired, login_required, no_credentials, login_pending };
// The scope of an API key the client asks for (apikey_create). Records the platform reports keep its
// own spelling as a string (ApiKeyRecord.scope): a value this table does not know is shown, not refused.
enum class KeyScope { read, write, read_write, admin };
// The type of an API key the client asks for (apikey_create); records: as KeyScope.
enum class KeyType { user, service_account };
// What a usage row of agent status counts: a profile, or an API key a client passed (masked).
enum class UsageKind { profile, api_key };
// The credential a profile holds (auth status).
enum class CredentialType { oauth, api_key };
// The secret store in use (agent status, auth status; FLUXLOOP_STORE spells the same).
enum class StoreKind { keyring, file };
// How the agent was started (agent status).
enum class LaunchMode { systemd_socket, daemon, foreground };
// The CLI bridge file's state after bridge_sync (docs/protocol.md "bridge_sync").
enum class BridgeState { fresh, off, not_bridged, no_login, locked };
// What an anomaly of agent status is about (docs/audit.md).
enum class AnomalyKind { request_rate, rejected_peers, refresh_failures };
// The setting config_set changes (docs/protocol.md "config_set").
enum class ConfigKey { profile, api_key_file, cli_bridge };

template <typename E>
struct EnumNames;  // specialised below: static constexpr std::array<std::pair<E, std::string_view>, N> kNames

template <>
struct EnumNames<ProfileKind> {
  static constexpr std::array kNames{std::pair{ProfileKind::oidc, std::string_view("oidc")},
                                     std::pair{ProfileKind::fluxloop, std::string_view("fluxloop")}};
};
template <>
struct EnumNames<LoginMethod> {
  static constexpr std::array kNames{std::pair{LoginMethod::browser, std::string_view("browser")},
                                     std::pair{LoginMethod::device, std::string_view("device")},
                                     std::pair{LoginMethod::cli_connect, std::string_view("cli_connect")}};
};
template <>
struct EnumNames<ProfileState> {
  static constexpr std::array kNames{std::pair{ProfileState::valid, std::string_view("valid")},
                                     std::pair{ProfileState::expired, std::string_view("expired")},
                                     std::pair{ProfileState::login_required, std::string_view("login_required")},
                                     std::pair{ProfileState::no_credentials, std::string_view("no_credentials")},
                                     std::pair{ProfileState::login_pending, std::string_view("login_pending")}};
};

template <>
struct EnumNames<KeyScope> {
  static constexpr std::array kNames{std::pair{KeyScope::read, std::string_view("read")},
                                     std::pair{KeyScope::write, std::string_view("write")},
                                     std::pair{KeyScope::read_write, std::string_view("read-write")},
                                     std::pair{KeyScope::admin, std::string_view("admin")}};
};
template <>
struct EnumNames<KeyType> {
  static constexpr std::array kNames{std::pair{KeyType::user, std::string_view("user")},
                                     std::pair{KeyType::service_account, std::string_view("service-account")}};
};
template <>
struct EnumNames<UsageKind> {
  static constexpr std::array kNames{std::pair{UsageKind::profile, std::string_view("profile")},
                                     std::pair{UsageKind::api_key, std::string_view("api_key")}};
};
template <>
struct EnumNames<CredentialType> {
  static constexpr std::array kNames{std::pair{CredentialType::oauth, std::string_view("oauth")},
                                     std::pair{CredentialType::api_key, std::string_view("api_key")}};
};
template <>
struct EnumNames<StoreKind> {
  static constexpr std::array kNames{std::pair{StoreKind::keyring, std::string_view("keyring")},
                                     std::pair{StoreKind::file, std::string_view("file")}};
};
template <>
struct EnumNames<LaunchMode> {
  static constexpr std::array kNames{std::pair{LaunchMode::systemd_socket, std::string_view("systemd-socket")},
                                     std::pair{LaunchMode::daemon, std::string_view("daemon")},
                                     std::pair{LaunchMode::foreground, std::string_view("foreground")}};
};
template <>
struct EnumNames<BridgeState> {
  static constexpr std::array kNames{std::pair{BridgeState::fresh, std::string_view("fresh")},
                                     std::pair{BridgeState::off, std::string_view("off")},
                                     std::pair{BridgeState::not_bridged, std::string_view("not_bridged")},
                                     std::pair{BridgeState::no_login, std::string_view("no_login")},
                                     std::pair{BridgeState::locked, std::string_view("locked")}};
};
template <>
struct EnumNames<AnomalyKind> {
  static constexpr std::array kNames{std::pair{AnomalyKind::request_rate, std::string_view("request_rate")},
                                     std::pair{AnomalyKind::rejected_peers, std::string_view("rejected_peers")},
                                     std::pair{AnomalyKind::refresh_failures, std::string_view("refresh_failures")}};
};
template <>
struct EnumNames<ConfigKey> {
  static constexpr std::array kNames{std::pair{ConfigKey::profile, std::string_view("profile")},
                                     std::pair{ConfigKey::api_key_file, std::string_view("api_key_file")},
                                     std::pair{ConfigKey::cli_bridge, std::string_view("cli_bridge")}};
};

// True when kNames lists every value once, in enum order (0, 1, 2, …).
template <typename E>
constexpr bool names_in_order() {
  const auto& names = EnumNames<E>::kNames;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (static_cast<std::size_t>(names[i].first) != i) return false;
  }
  return true;
}

// The wire spelling of a value.
template <typename E>
constexpr std::string_view to_string(E value) {
  return EnumNames<E>::kNames[static_cast<std::size_t>(value)].second;
}

// The value a wire spelling names; nullopt for an unknown spelling.
template <typename E>
constexpr std::optional<E> enum_from_string(std::string_view text) {
  for (const auto& [value, name] : EnumNames<E>::kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

// A wire enum: an enum with a spelling table.
template <typename E>
concept WireEnum = std::is_enum_v<E> && requires { EnumNames<E>::kNames; };

// The number of values of E (kNames covers them all: see names_in_order).
template <typename E>
constexpr std::size_t enum_count() {
  return EnumNames<E>::kNames.size();
}

}  // namespace proto
