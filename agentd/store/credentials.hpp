// A profile's credentials and the credentials file format of CONTRACT.md (both shapes).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "proto/result.hpp"
#include "proto/secure_memory.hpp"

namespace agentd::store {

// One profile's secrets plus the non-secret facts that travel with them in a credentials file.
// The secrets are proto::SecureText: their bytes live in the secure pool (never dumped, locked where
// RLIMIT_MEMLOCK allows) and are zeroed when freed or replaced.
struct Credentials {
  proto::SecureText access_token;
  proto::SecureText refresh_token;
  std::string expires_at;  // RFC 3339 UTC ("2024-11-02T10:00:00Z"); empty when unknown
  std::string user_email;
  std::string user_id;  // the platform's user id (fluxloop profiles; the platform CLI's auth.json)
  std::string api_endpoint;
  std::string issuer;
  std::string token_endpoint;
  std::string client_id;
  // A profile holds either OAuth tokens (above) or an API key (flx_api_… / flx_sa_…), which
  // get_token then serves; api_key_id is the platform's id of that key (for rotation).
  proto::SecureText api_key;
  std::string api_key_id;
  // RFC 3339 UTC: when --lifetime (agent or profile) makes the agent forget these credentials.
  std::string forget_at;

  bool operator==(const Credentials&) const = default;
};

struct CredentialsFile {
  std::string default_profile;
  std::map<std::string, Credentials> profiles;
};

// Parses either shape. The single-profile shape ({"access_token": …}) lands in `single_profile`.
// Errors name what is wrong without quoting any value of the file (it may hold secrets).
proto::Result<CredentialsFile> parse_credentials(std::string_view text, const std::string& single_profile);
// The multi-profile shape, which the file store writes.
std::string serialize_credentials(const CredentialsFile& file);
// One profile as a compact single-profile object (the first shape): what a keyring item holds.
// parse_credentials(serialize_profile(c), name) gives c back under `name`.
std::string serialize_profile(const Credentials& credentials);

}  // namespace agentd::store
