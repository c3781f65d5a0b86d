// JSON conversion of the messages of proto/messages.hpp, messages_agent.hpp and messages_login.hpp,
// generated from each struct's fields() (proto/field_codec.hpp).
#include "proto/messages.hpp"

#include "proto/field_codec.hpp"

namespace proto {

FLUXLOOP_PROTO_DEFINE(OkReply)
FLUXLOOP_PROTO_DEFINE(Usage)
FLUXLOOP_PROTO_DEFINE(Anomaly)
FLUXLOOP_PROTO_DEFINE(AgentStatusReply)
FLUXLOOP_PROTO_DEFINE(AgentStatus)
FLUXLOOP_PROTO_DEFINE(AgentStop)
FLUXLOOP_PROTO_DEFINE(AgentLock)
FLUXLOOP_PROTO_DEFINE(AgentUnlock)

FLUXLOOP_PROTO_DEFINE(ProfileAdd)
FLUXLOOP_PROTO_DEFINE(ProfileInfo)
FLUXLOOP_PROTO_DEFINE(ProfileListReply)
FLUXLOOP_PROTO_DEFINE(ProfileList)
FLUXLOOP_PROTO_DEFINE(ProfileRemove)
FLUXLOOP_PROTO_DEFINE(ConfigSet)
FLUXLOOP_PROTO_DEFINE(ImportReply)
FLUXLOOP_PROTO_DEFINE(AuthImport)
FLUXLOOP_PROTO_DEFINE(TokenReply)
FLUXLOOP_PROTO_DEFINE(GetToken)
FLUXLOOP_PROTO_DEFINE(ProfileStatus)
FLUXLOOP_PROTO_DEFINE(AuthStatusReply)
FLUXLOOP_PROTO_DEFINE(AuthStatus)
FLUXLOOP_PROTO_DEFINE(RefreshReply)
FLUXLOOP_PROTO_DEFINE(AuthRefresh)
FLUXLOOP_PROTO_DEFINE(LogoutReply)
FLUXLOOP_PROTO_DEFINE(AuthLogout)
FLUXLOOP_PROTO_DEFINE(LoginStartReply)
FLUXLOOP_PROTO_DEFINE(LoginStart)
FLUXLOOP_PROTO_DEFINE(LoginWaitReply)
FLUXLOOP_PROTO_DEFINE(LoginWait)

}  // namespace proto
