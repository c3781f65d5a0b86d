// Wire enums: each value has exactly one spelling on the wire, defined here once for client and
// agent (docs/protocol.md "Enums"). Adding a value: extend the enum and its kNames table; the
// static_asserts in enums.cpp fail until every value has its name in enum order.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace proto {

// How a profile logs in and refreshes (agentd/kinds/<kind>/).
enum class ProfileKind { oidc, fluxloop };
// The flow a login_start began: what the client shows.
enum class LoginMethod { browser, device, cli_connect };
// A profile's state in auth status.
enum class ProfileState { valid, expired, login_required, no_credentials, login_pending };

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

// The number of values of E (kNames covers them all: see names_in_order).
template <typename E>
constexpr std::size_t enum_count() {
  return EnumNames<E>::kNames.size();
}

}  // namespace proto
