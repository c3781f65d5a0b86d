// Shared by the fuzz targets: an invariant that must hold for every input. A violation aborts, which
// libFuzzer reports as a crash and saves the input (crash-<sha1>) for a regression test.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proto/text.hpp"

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

namespace fuzz {

// Messages reach a terminal: no C0 control character or DEL may ride in them.
inline bool printable_message(std::string_view message) {
  for (unsigned char c : message) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The secret the HTTP and token targets pretend their request carried; the corpora and the
// dictionary hold it so the fuzzer can make a server echo it.
inline constexpr std::string_view kSecret = "flx_refresh_FUZZSECRET0123456789";
// Messages must not hold even this much of it (a cut-off echo is still a leak).
inline constexpr std::string_view kSecretPart = kSecret.substr(0, 16);

namespace detail {
inline std::size_t count(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}
inline bool partial_raw(std::string_view text) { return count(text, kSecretPart) != count(text, kSecret); }
// Also as the agent shows it: control characters dropped can join a prefix of the secret that the
// raw bytes split ("flx_refres\x7fh_FUZZ…"), which is then still only part of it.
inline bool partial(std::string_view text) {
  return partial_raw(text) || partial_raw(proto::printable(text, proto::LineBreaks::keep));
}
inline bool partial_in_json(const nlohmann::json& value) {
  if (value.is_string()) return partial(value.get_ref<const std::string&>());
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (partial(key) || partial_in_json(child)) return true;
    }
  } else if (value.is_array()) {
    for (const auto& child : value) {
      if (partial_in_json(child)) return true;
    }
  }
  return false;
}
}  // namespace detail

// True when `text` (raw, or any string of it as JSON) holds the start of kSecret without the whole of
// it: a server that sends part of a secret was never sent it whole, and no mask can recognise it.
inline bool holds_partial_secret(std::string_view text) {
  if (detail::partial(text)) return true;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  return !json.is_discarded() && detail::partial_in_json(json);
}

}  // namespace fuzz
