// The requests and replies of the agent protocol, defined once for both sides (docs/protocol.md):
// agent, profiles, credentials, logins and monitoring here; platform requests and redaction in
// proto/messages_platform.hpp. A request struct names its op (kOp) and its reply type (Reply);
// write/read convert to and from JSON. Adding a request: define it here or there, add it to
// proto::Request (codec.hpp), handle it in the agent (an `on` in agentd/app/, classified in agentd/lock/gate.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "proto/enums.hpp"
#include "proto/fields.hpp"

namespace proto {

// ---- generic replies -------------------------------------------------------------------------

struct OkReply {};

// ---- monitoring (docs/audit.md) --------------------------------------------------------------

// Use of one credential: a profile held by the agent, or an API key passed by a client (masked).
struct Usage {
  std::string name;          // profile name, or the masked key ("flx_…a1b2")
  std::string kind;          // "profile" or "api_key"
  std::string last_used;     // RFC 3339 UTC, empty when never used
  std::int64_t requests = 0; // requests that used the credential
  std::int64_t failures = 0; // of those, refused or failed (scope, revoked, login required, network)
};

// Something unusual the agent noticed (also logged as a warning).
struct Anomaly {
  std::string time;    // RFC 3339 UTC
  std::string kind;    // "request_rate", "rejected_peers", "refresh_failures"
  std::string detail;  // for people; never a secret
};

// ---- agent -----------------------------------------------------------------------------------

struct AgentStatusReply {
  std::string version;
  std::int64_t pid = 0;
  std::int64_t uptime_seconds = 0;
  std::string socket;
  std::string store;         // "keyring" or "file"
  std::string store_detail;  // why this store was chosen, or its current problem
  std::string home;          // FLUXLOOP_HOME in use
  std::string launch;        // "systemd-socket" (socket activation), "daemon" or "foreground"
  std::string unit;          // the systemd unit running the agent ("" when none)
  std::int64_t profiles = 0;
  std::int64_t connections = 0;
  bool locked = false;                 // agent_lock in force: no secret is served
  std::int64_t lifetime_seconds = 0;   // --lifetime of the agent (0: none)
  std::int64_t requests = 0;           // requests answered since start
  std::vector<Usage> usage;            // per profile and per API key
  std::vector<Anomaly> anomalies;      // most recent last, bounded
};
struct AgentStatus {
  static constexpr std::string_view kOp = "agent_status";
  using Reply = AgentStatusReply;
};

struct AgentStop {
  static constexpr std::string_view kOp = "agent_stop";
  using Reply = OkReply;
};

// Locks the agent with a passphrase: until agent_unlock with the same passphrase no secret is served
// (get_token, api_request, apikeys_*); refreshes go on. Locking a locked agent is an error.
struct AgentLock {
  static constexpr std::string_view kOp = "agent_lock";
  using Reply = OkReply;
  std::string passphrase;  // a secret; never logged
};
struct AgentUnlock {
  static constexpr std::string_view kOp = "agent_unlock";
  using Reply = OkReply;
  std::string passphrase;
};

// ---- profiles and configuration --------------------------------------------------------------

// A profile of kind oidc (issuer and client id given) or fluxloop (neither: CLI connect at api_endpoint).
struct ProfileAdd {
  static constexpr std::string_view kOp = "profile_add";
  using Reply = OkReply;
  std::string name;
  ProfileKind kind = ProfileKind::oidc;  // on the wire: absent means oidc with an issuer, else fluxloop
  std::string issuer;                    // oidc only
  std::string client_id;                 // oidc only
  std::string api_endpoint;         // empty: the platform default
  std::vector<std::string> scopes;  // empty: the default scopes
  std::int64_t lifetime_seconds = 0;  // credentials are forgotten this long after they arrive (0: never)
};

struct ProfileInfo {
  std::string name;
  ProfileKind kind = ProfileKind::oidc;
  std::string issuer;
  std::string client_id;
  std::string api_endpoint;
  std::vector<std::string> scopes;
  std::int64_t lifetime_seconds = 0;
  bool is_default = false;
  bool has_credentials = false;
};
struct ProfileListReply {
  std::string default_profile;
  std::vector<ProfileInfo> profiles;
};
struct ProfileList {
  static constexpr std::string_view kOp = "profile_list";
  using Reply = ProfileListReply;
};

struct ProfileRemove {
  static constexpr std::string_view kOp = "profile_remove";
  using Reply = OkReply;
  std::string name;
};

// `config set KEY VALUE`; keys: "profile" (the default profile), "api_key_file" (a path; empty unsets).
struct ConfigSet {
  static constexpr std::string_view kOp = "config_set";
  using Reply = OkReply;
  std::string key;
  std::string value;
};

// ---- credentials -----------------------------------------------------------------------------

// The agent reads the file itself (same uid): the client never reads a refresh token.
struct ImportReply {
  std::vector<std::string> profiles;  // profiles imported
};
struct AuthImport {
  static constexpr std::string_view kOp = "auth_import";
  using Reply = ImportReply;
  std::string path;     // absolute path of a credentials file (CONTRACT.md shapes)
  std::string profile;  // single-profile shape: target profile; multi: import only this one. Empty: default
};

struct TokenReply {
  std::string profile;     // the profile resolved by the agent
  std::string token;       // the access token: the only secret the protocol ever carries out
  std::string expires_at;  // RFC 3339 UTC, empty when unknown
};
struct GetToken {
  static constexpr std::string_view kOp = "get_token";
  using Reply = TokenReply;
  std::string profile;         // empty: the default profile
  std::int64_t min_valid = 0;  // seconds the token must stay valid
};

// Status of one profile. Secrets appear masked only (proto/mask.hpp).
struct ProfileStatus {
  std::string name;
  ProfileKind kind = ProfileKind::oidc;
  ProfileState state = ProfileState::no_credentials;  // login_pending: a login is under way
  std::string credential;  // "oauth" or "api_key"
  std::string api_key;     // masked, for an API-key profile
  std::string forget_at;   // RFC 3339 UTC: when --lifetime makes the agent forget the credentials
  std::string last_used;   // RFC 3339 UTC, empty when never used
  std::int64_t requests = 0;
  std::int64_t failures = 0;
  std::string user_email;
  std::string user_id;        // the platform's user id (fluxloop profiles), empty when unknown
  std::string access_token;   // masked
  std::string refresh_token;  // masked, empty when none
  std::string expires_at;     // RFC 3339 UTC
  std::int64_t expires_in = 0;
  std::string api_endpoint;
  std::string issuer;
  std::string last_error;
};
struct AuthStatusReply {
  std::string default_profile;
  std::string store;
  std::string store_problem;  // why the store could not be read (corrupt file, locked keyring), if so
  std::vector<ProfileStatus> profiles;
};
struct AuthStatus {
  static constexpr std::string_view kOp = "auth_status";
  using Reply = AuthStatusReply;
  std::string profile;  // empty: every profile
};

struct RefreshReply {
  std::string profile;
  std::string expires_at;  // of the new access token (RFC 3339 UTC), empty when unknown
};
// Refreshes now, whatever the token's remaining lifetime (joins a refresh already in flight).
struct AuthRefresh {
  static constexpr std::string_view kOp = "auth_refresh";
  using Reply = RefreshReply;
  std::string profile;
};

struct LogoutReply {
  std::string profile;
  bool revoked = false;  // the server confirmed revocation (RFC 7009)
  std::string warning;   // why it could not revoke (offline, no revocation endpoint), if so
};
// Revokes at the server when possible, then forgets the profile's credentials (its configuration stays).
struct AuthLogout {
  static constexpr std::string_view kOp = "auth_logout";
  using Reply = LogoutReply;
  std::string profile;
};

// Starts a login; the agent runs the redirect listener and every token exchange, the client only
// shows and opens. Browser: `url` is the authorization URL to open. Device and CLI connect: show
// `user_code` and `verification_uri` (`verification_uri_complete` embeds the code, for a QR code).
// The login goes on in the agent whether or not anyone calls login_wait (`auth login --no-wait`).
struct LoginStartReply {
  std::string login_id;  // pass to login_wait
  std::string profile;
  ProfileKind kind = ProfileKind::oidc;
  LoginMethod method = LoginMethod::browser;
  std::string url;
  std::string verification_uri;
  std::string verification_uri_complete;
  std::string user_code;
  std::string qr_code;          // device: verification_uri_complete as a terminal QR code (text)
  std::int64_t expires_in = 0;  // seconds the user has to finish
};
struct LoginStart {
  static constexpr std::string_view kOp = "login_start";
  using Reply = LoginStartReply;
  std::string profile;
  bool device = false;  // oidc: the device flow instead of the browser (fluxloop: always its own)
  // With no profile configured at all, the agent creates a fluxloop profile (the resolved name,
  // `production` by default) at this endpoint (the client's FLUXLOOP_API_ENDPOINT and aliases);
  // empty: the platform default. Ignored once any profile exists.
  std::string api_endpoint;
};

struct LoginWaitReply {
  std::string profile;
  std::string user_email;
  std::string user_id;
  std::string expires_at;
};
// Waits until the login finishes (or fails or expires). May take minutes.
struct LoginWait {
  static constexpr std::string_view kOp = "login_wait";
  using Reply = LoginWaitReply;
  std::string login_id;
};

// ---- JSON conversion (one pair per struct) ---------------------------------------------------

FLUXLOOP_PROTO_MESSAGE(OkReply)
FLUXLOOP_PROTO_MESSAGE(AgentStatusReply)
FLUXLOOP_PROTO_MESSAGE(AgentStatus)
FLUXLOOP_PROTO_MESSAGE(AgentStop)
FLUXLOOP_PROTO_MESSAGE(ProfileAdd)
FLUXLOOP_PROTO_MESSAGE(ProfileInfo)
FLUXLOOP_PROTO_MESSAGE(ProfileListReply)
FLUXLOOP_PROTO_MESSAGE(ProfileList)
FLUXLOOP_PROTO_MESSAGE(ProfileRemove)
FLUXLOOP_PROTO_MESSAGE(ConfigSet)
FLUXLOOP_PROTO_MESSAGE(ImportReply)
FLUXLOOP_PROTO_MESSAGE(AuthImport)
FLUXLOOP_PROTO_MESSAGE(TokenReply)
FLUXLOOP_PROTO_MESSAGE(GetToken)
FLUXLOOP_PROTO_MESSAGE(ProfileStatus)
FLUXLOOP_PROTO_MESSAGE(AuthStatusReply)
FLUXLOOP_PROTO_MESSAGE(AuthStatus)
FLUXLOOP_PROTO_MESSAGE(RefreshReply)
FLUXLOOP_PROTO_MESSAGE(AuthRefresh)
FLUXLOOP_PROTO_MESSAGE(LogoutReply)
FLUXLOOP_PROTO_MESSAGE(AuthLogout)
FLUXLOOP_PROTO_MESSAGE(LoginStartReply)
FLUXLOOP_PROTO_MESSAGE(LoginStart)
FLUXLOOP_PROTO_MESSAGE(LoginWaitReply)
FLUXLOOP_PROTO_MESSAGE(LoginWait)
FLUXLOOP_PROTO_MESSAGE(Usage)
FLUXLOOP_PROTO_MESSAGE(Anomaly)
FLUXLOOP_PROTO_MESSAGE(AgentLock)
FLUXLOOP_PROTO_MESSAGE(AgentUnlock)

}  // namespace proto
