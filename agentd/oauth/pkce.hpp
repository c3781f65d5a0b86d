// PKCE (RFC 7636, S256 only) and the random `state` value of an authorization request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace agentd::oauth {

// Random bytes from OpenSSL's CSPRNG, base64url-encoded (32 bytes -> 43 characters).
// Fails (internal) only when the CSPRNG cannot be seeded.
proto::Result<std::string> random_url_token(std::size_t bytes);

// The S256 code challenge of a verifier: base64url(SHA-256(verifier)), no padding.
std::string s256_challenge(std::string_view verifier);

struct Pkce {
  static constexpr std::string_view kMethod = "S256";
  std::string verifier;   // secret until the code is exchanged; never logged
  std::string challenge;  // s256_challenge(verifier): goes into the authorization URL
};

// A fresh verifier (32 random bytes, 43 characters, within RFC 7636's 43..128) and its challenge.
proto::Result<Pkce> make_pkce();

// A fresh `state` (32 random bytes) binding the browser's redirect to this login attempt.
proto::Result<std::string> make_state();

}  // namespace agentd::oauth
