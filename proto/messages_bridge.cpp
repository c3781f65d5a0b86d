// JSON conversion of the CLI bridge's messages.
#include <nlohmann/json.hpp>

#include "proto/messages_bridge.hpp"

namespace proto {

void write(nlohmann::json& out, const BridgeSyncReply& m) {
  out["state"] = m.state;
  out["profile"] = m.profile;
  out["path"] = m.path;
  if (!m.expires_at.empty()) out["expires_at"] = m.expires_at;
}
void read(Reader& in, BridgeSyncReply& m) {
  in.required("state", m.state);
  in.optional("profile", m.profile);
  in.optional("path", m.path);
  in.optional("expires_at", m.expires_at);
}

void write(nlohmann::json& out, const BridgeSync& m) { out["min_valid"] = m.min_valid; }
void read(Reader& in, BridgeSync& m) { in.optional("min_valid", m.min_valid); }

}  // namespace proto
