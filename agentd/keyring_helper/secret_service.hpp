// The Secret Service calls of fluxloop-keyring-helper (libsecret, blocking): one item per profile,
// schema "ai.fluxloop.Agent", attributes {application: fluxloop-agent, profile: NAME}, label
// "FluxLoop credentials (NAME)", in the default collection. Lookups never ask to unlock: a locked
// keyring is an error, not "no credentials", and starts no prompt. Each call makes its own proxy
// (GDBus default timeout `timeout_ms`); errors are store_error with a message naming the way out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/result.hpp"

namespace agentd::keyring_helper {

// One stored item as found: the agent parses and checks the secret (store::parse_credentials).
struct Item {
  std::string profile;
  std::string secret;  // the profile's Credentials as JSON, as stored
  std::uint64_t modified = 0;  // seconds since the epoch; of two items for one profile the newer wins
};

// Whether a Secret Service answers and has a default collection to store into (one ReadAlias call).
proto::Status probe(int timeout_ms);
// Every item of ours; a locked one makes it fail with the "keyring is locked" error.
proto::Result<std::vector<Item>> load(int timeout_ms);
// Replaces `profile`'s item in the default collection (refused, without a prompt, when it is locked).
proto::Status save(int timeout_ms, const std::string& profile, std::string_view secret);
// Deletes `profile`'s items; absent is not an error.
proto::Status erase(int timeout_ms, const std::string& profile);

}  // namespace agentd::keyring_helper
