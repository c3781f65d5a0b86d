#include "agentd/oauth/pkce.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <vector>

#include "agentd/oauth/encoding.hpp"

namespace agentd::oauth {
namespace {

// RFC 7636 §7.1: 32 octets give a 256-bit verifier; the same strength suits `state`.
constexpr std::size_t kVerifierBytes = 32;
constexpr std::size_t kStateBytes = 32;

}  // namespace

proto::Result<std::string> random_url_token(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    return proto::Error{proto::ErrorCode::internal, "the system random number generator failed (OpenSSL RAND_bytes)"};
  }
  std::string token = base64url_encode(std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return token;
}

std::string s256_challenge(std::string_view verifier) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // SHA-256 over the ASCII verifier (RFC 7636 §4.2). EVP_Digest cannot fail for SHA-256 short of
  // memory exhaustion; an empty challenge would then simply be rejected by the server.
  if (EVP_Digest(verifier.data(), verifier.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return {};
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

proto::Result<Pkce> make_pkce() {
  auto verifier = random_url_token(kVerifierBytes);
  if (!verifier) return std::move(verifier).error();
  Pkce pkce;
  pkce.challenge = s256_challenge(*verifier);
  pkce.verifier = std::move(verifier).value();
  return pkce;
}

proto::Result<std::string> make_state() { return random_url_token(kStateBytes); }

}  // namespace agentd::oauth
