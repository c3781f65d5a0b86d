#include "proto/mask.hpp"

#include <string.h>  // explicit_bzero

namespace proto {
namespace {
constexpr std::size_t kShownHead = 4;
constexpr std::size_t kShownTail = 4;
// Below this length, showing 8 characters would reveal too large a share of the secret.
constexpr std::size_t kMinLengthToShow = 16;
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026
}  // namespace

std::string mask_secret(std::string_view secret) {
  if (secret.empty()) return {};
  if (secret.size() < kMinLengthToShow) return std::string(kEllipsis);
  std::string out(secret.substr(0, kShownHead));
  out += kEllipsis;
  out += secret.substr(secret.size() - kShownTail);
  return out;
}

void wipe(std::string& secret) noexcept {
  // The whole capacity: bytes past size() may still hold an older, longer value.
  secret.resize(secret.capacity());
  explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace proto
