// JSON conversion of the CLI bridge's messages, generated from each struct's fields()
// (proto/field_codec.hpp).
#include "proto/messages_bridge.hpp"

#include "proto/field_codec.hpp"

namespace proto {

FLUXLOOP_PROTO_DEFINE(BridgeSyncReply)
FLUXLOOP_PROTO_DEFINE(BridgeSync)

}  // namespace proto
