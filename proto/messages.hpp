// Every request and reply of the agent protocol, defined once for both sides (docs/protocol.md).
// A request struct names its op (kOp) and its reply type (Reply); write/read convert to and from JSON.
// Adding a request: define it here, add it to proto::Request (codec.hpp), handle it in agentd/dispatch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

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

struct ProfileAdd {
  static constexpr std::string_view kOp = "profile_add";
  using Reply = OkReply;
  std::string name;
  std::string issuer;
  std::string client_id;
  std::string api_endpoint;         // empty: the platform default
  std::vector<std::string> scopes;  // empty: the default scopes
  std::int64_t lifetime_seconds = 0;  // credentials are forgotten this long after they arrive (0: never)
};

struct ProfileInfo {
  std::string name;
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
  std::string state;  // "valid", "expired", "login_required", "no_credentials"
  std::string credential;  // "oauth" or "api_key"
  std::string api_key;     // masked, for an API-key profile
  std::string forget_at;   // RFC 3339 UTC: when --lifetime makes the agent forget the credentials
  std::string last_used;   // RFC 3339 UTC, empty when never used
  std::int64_t requests = 0;
  std::int64_t failures = 0;
  std::string user_email;
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
// shows and opens. Browser: `url` is the authorization URL to open. Device: show `user_code` and
// `verification_uri` (`verification_uri_complete` embeds the code, for a QR code).
struct LoginStartReply {
  std::string login_id;  // pass to login_wait
  std::string profile;
  std::string method;    // "browser" or "device"
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
  bool device = false;
};

struct LoginWaitReply {
  std::string profile;
  std::string user_email;
  std::string expires_at;
};
// Waits until the login finishes (or fails or expires). May take minutes.
struct LoginWait {
  static constexpr std::string_view kOp = "login_wait";
  using Reply = LoginWaitReply;
  std::string login_id;
};

// ---- platform API: keys and requests made by the agent (docs/protocol.md) -------------------

// The credential and endpoint of a platform request, chosen by the client (CONTRACT.md precedence).
// Written flat into the request object.
struct Target {
  std::string profile;       // a profile held by the agent; empty: the default profile
  std::string bearer;        // a credential the client was given (--api-key, FLUXLOOP_TOKEN, FLUXLOOP_API_KEY,
                             // api_key_file), used instead of any profile. A secret: never logged.
  std::string api_endpoint;  // FLUXLOOP_API_ENDPOINT; empty: the profile's endpoint
};

// A key's record as the platform reports it; never the key itself.
struct ApiKeyRecord {
  std::string id;
  std::string name;
  std::string scope;  // read, write, read-write, admin
  std::string type;   // user, service-account
  std::string prefix;
  std::string last4;
  std::string created_at;
  std::string last_used_at;  // empty: never used
  std::int64_t usage_count = 0;
  std::int64_t failed_attempts = 0;
  std::vector<std::string> profiles;  // profiles of this agent that hold the key
};

struct ApiKeyCreateReply {
  ApiKeyRecord record;
  std::string key;             // the new key, shown once; empty when stored in a profile
  std::string stored_profile;  // the profile that now holds it (--store)
};
struct ApiKeyCreate {
  static constexpr std::string_view kOp = "apikey_create";
  using Reply = ApiKeyCreateReply;
  Target target;
  std::string name;
  std::string scope;          // empty: the platform default (read-write)
  std::string type;           // empty: user
  std::string store_profile;  // keep the key in a new profile of this name instead of returning it
};

struct ApiKeyListReply {
  std::vector<ApiKeyRecord> keys;
};
struct ApiKeyList {
  static constexpr std::string_view kOp = "apikey_list";
  using Reply = ApiKeyListReply;
  Target target;
};

// One key's record, nested: a reply's top level holds the frame's own `id` and `ok`, so a record
// (which has an `id` of its own) is never written flat into it.
struct ApiKeyReply {
  ApiKeyRecord record;
};

// `key_or_id` is an id (key_…) or a key given by value (looked up, never logged).
struct ApiKeyInfo {
  static constexpr std::string_view kOp = "apikey_info";
  using Reply = ApiKeyReply;
  Target target;
  std::string key_or_id;
};

struct ApiKeyRevoke {
  static constexpr std::string_view kOp = "apikey_revoke";
  using Reply = ApiKeyReply;  // the record of the key revoked
  Target target;
  std::string key_or_id;
};

struct ApiKeyRotateReply {
  ApiKeyRecord record;          // the replacement
  std::string key;              // the replacement key when no profile held the old one; else empty
  std::string old_id;
  std::string revoke_at;        // RFC 3339 UTC; empty: revoked already
  std::vector<std::string> profiles;  // profiles that now hold the replacement
};
// Creates a replacement with the same name, scope and type, swaps it into every profile that held the
// old key, and revokes the old key after `grace_seconds` (the deadline survives agent restarts).
struct ApiKeyRotate {
  static constexpr std::string_view kOp = "apikey_rotate";
  using Reply = ApiKeyRotateReply;
  Target target;
  std::string name_or_id;
  std::int64_t grace_seconds = 0;
};

struct ApiReply {
  std::int64_t status = 0;   // the HTTP status
  std::string content_type;
  std::string body;          // the response body (UTF-8; invalid bytes replaced)
};
// One authenticated request to the platform API, made by the agent (the client never sees the token).
struct ApiRequest {
  static constexpr std::string_view kOp = "api_request";
  using Reply = ApiReply;
  Target target;
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // starts with '/', e.g. /v1/projects
  std::string body;    // JSON text; empty: no body
};

// ---- redaction ---------------------------------------------------------------------------------

// One chunk of a stream to redact. Stateless: the agent redacts the longest prefix it can decide
// and says how many input bytes that covered (`consumed`); the client sends the rest again in front of
// its next chunk. With `final` the whole input is decided.
struct RedactReply {
  std::string data;            // base64 of the redacted output for the consumed input
  std::int64_t consumed = 0;   // input bytes decided
};
struct Redact {
  static constexpr std::string_view kOp = "redact";
  using Reply = RedactReply;
  std::string data;  // base64 of the input bytes (any bytes, not only UTF-8)
  bool final = false;
};

// ---- JSON conversion (one pair per struct) ---------------------------------------------------

#define FLUXLOOP_PROTO_MESSAGE(T)             \
  void write(nlohmann::json& out, const T& m); \
  void read(Reader& in, T& m);

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
FLUXLOOP_PROTO_MESSAGE(Target)
FLUXLOOP_PROTO_MESSAGE(ApiKeyRecord)
FLUXLOOP_PROTO_MESSAGE(ApiKeyCreateReply)
FLUXLOOP_PROTO_MESSAGE(ApiKeyCreate)
FLUXLOOP_PROTO_MESSAGE(ApiKeyListReply)
FLUXLOOP_PROTO_MESSAGE(ApiKeyList)
FLUXLOOP_PROTO_MESSAGE(ApiKeyReply)
FLUXLOOP_PROTO_MESSAGE(ApiKeyInfo)
FLUXLOOP_PROTO_MESSAGE(ApiKeyRevoke)
FLUXLOOP_PROTO_MESSAGE(ApiKeyRotateReply)
FLUXLOOP_PROTO_MESSAGE(ApiKeyRotate)
FLUXLOOP_PROTO_MESSAGE(ApiReply)
FLUXLOOP_PROTO_MESSAGE(ApiRequest)
FLUXLOOP_PROTO_MESSAGE(RedactReply)
FLUXLOOP_PROTO_MESSAGE(Redact)

#undef FLUXLOOP_PROTO_MESSAGE

}  // namespace proto
