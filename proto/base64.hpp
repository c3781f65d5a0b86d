// Standard base64 (RFC 4648 §4, with padding): how redact carries arbitrary bytes inside JSON frames.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace proto {

// The encoded length of `bytes` input bytes (a multiple of 4, padding included).
constexpr std::size_t base64_encoded_size(std::size_t bytes) { return (bytes + 2) / 3 * 4; }

// Encodes any bytes with the standard alphabet (A-Z a-z 0-9 + /) and '=' padding.
std::string base64_encode(std::string_view bytes);

// Strict decoding: the length is a multiple of 4, only the standard alphabet, '=' only as the final
// one or two characters, and the unused bits of the last group are zero (one encoding per input).
// nullopt otherwise (whitespace and the URL alphabet included).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace proto
