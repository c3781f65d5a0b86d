// JSON conversion of the platform messages (API keys, api_request) and of redact, generated from
// each struct's fields() (proto/field_codec.hpp).
#include "proto/messages_platform.hpp"

#include "proto/field_codec.hpp"

namespace proto {

FLUXLOOP_PROTO_DEFINE(Target)
FLUXLOOP_PROTO_DEFINE(ApiKeyRecord)
FLUXLOOP_PROTO_DEFINE(ApiKeyCreateReply)
FLUXLOOP_PROTO_DEFINE(ApiKeyCreate)
FLUXLOOP_PROTO_DEFINE(ApiKeyListReply)
FLUXLOOP_PROTO_DEFINE(ApiKeyList)
FLUXLOOP_PROTO_DEFINE(ApiKeyReply)
FLUXLOOP_PROTO_DEFINE(ApiKeyInfo)
FLUXLOOP_PROTO_DEFINE(ApiKeyRevoke)
FLUXLOOP_PROTO_DEFINE(ApiKeyRotateReply)
FLUXLOOP_PROTO_DEFINE(ApiKeyRotate)
FLUXLOOP_PROTO_DEFINE(ApiReply)
FLUXLOOP_PROTO_DEFINE(ApiRequest)
FLUXLOOP_PROTO_DEFINE(RedactReply)
FLUXLOOP_PROTO_DEFINE(Redact)

}  // namespace proto
