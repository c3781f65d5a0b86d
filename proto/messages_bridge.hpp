// The CLI bridge's request: make $HOME/.fluxloop/auth.json fresh before the client runs the platform
// CLI (docs/protocol.md "bridge_sync"). No secret travels in either direction. JSON: messages_bridge.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "proto/fields.hpp"

namespace proto {

struct BridgeSyncReply {
  // fresh: the file holds a token valid for min_valid; off: setting cli_bridge is off;
  // not_bridged: the default profile is not of kind fluxloop; no_login: it holds no login;
  // locked: the agent is locked (the file is absent).
  BridgeState state = BridgeState::fresh;
  std::string profile;     // the bridged (default) profile
  std::string path;        // the bridge file
  std::string expires_at;  // RFC 3339 UTC of the token in the file, when fresh

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("state", m.state);
    v.always("profile", m.profile);
    v.always("path", m.path);
    v.optional("expires_at", m.expires_at);
  }
  bool operator==(const BridgeSyncReply&) const = default;
};
struct BridgeSync {
  static constexpr std::string_view kOp = "bridge_sync";
  using Reply = BridgeSyncReply;
  std::int64_t min_valid = 0;  // seconds the token in the file must stay valid (refreshed first if not)

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("min_valid", m.min_valid);
  }
  bool operator==(const BridgeSync&) const = default;
};

FLUXLOOP_PROTO_MESSAGE(BridgeSyncReply)
FLUXLOOP_PROTO_MESSAGE(BridgeSync)

}  // namespace proto
