// The requests and replies of the agent protocol, defined once for both sides (docs/protocol.md):
// profiles and credentials here; logins in proto/messages_login.hpp and the agent itself and
// monitoring in proto/messages_agent.hpp (both included here); platform requests and redaction in proto/messages_platform.hpp. A request struct
// names its op (kOp) and its reply type (Reply); its fields() describes its JSON once for both
// directions (proto/fields.hpp), from which write/read are generated. Adding a request: define it
// here or there, add it to proto::Request (codec.hpp), handle it in the agent (an `on` in
// agentd/app/, classified in agentd/lock/gate.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "proto/enums.hpp"
#include "proto/fields.hpp"
#include "proto/messages_agent.hpp"
#include "proto/messages_login.hpp"

namespace proto {

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

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("name", m.name);
    v.optional("issuer", m.issuer);
    v.optional("client_id", m.client_id);
    // Absent kind: oidc when an issuer is given (clients older than kinds), else fluxloop.
    if constexpr (V::kReading) m.kind = m.issuer.empty() ? ProfileKind::fluxloop : ProfileKind::oidc;
    v.always("kind", m.kind);
    v.optional("api_endpoint", m.api_endpoint);
    v.optional("scopes", m.scopes);
    v.optional("lifetime_seconds", m.lifetime_seconds);
  }
  bool operator==(const ProfileAdd&) const = default;
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

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("name", m.name);
    v.always("kind", m.kind);
    v.optional("issuer", m.issuer);
    v.optional("client_id", m.client_id);
    v.optional("api_endpoint", m.api_endpoint);
    v.optional("scopes", m.scopes);
    v.optional("lifetime_seconds", m.lifetime_seconds);
    v.always("default", m.is_default);
    v.always("has_credentials", m.has_credentials);
  }
  bool operator==(const ProfileInfo&) const = default;
};
struct ProfileListReply {
  std::string default_profile;
  std::vector<ProfileInfo> profiles;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("default_profile", m.default_profile);
    v.always("profiles", m.profiles);
  }
  bool operator==(const ProfileListReply&) const = default;
};
struct ProfileList {
  static constexpr std::string_view kOp = "profile_list";
  using Reply = ProfileListReply;

  template <typename Self, typename V>
  static void fields(Self&, V&) {}
  bool operator==(const ProfileList&) const = default;
};

struct ProfileRemove {
  static constexpr std::string_view kOp = "profile_remove";
  using Reply = OkReply;
  std::string name;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("name", m.name);
  }
  bool operator==(const ProfileRemove&) const = default;
};

// `config set KEY VALUE`; keys: "profile" (the default profile), "api_key_file" (a path; empty unsets).
struct ConfigSet {
  static constexpr std::string_view kOp = "config_set";
  using Reply = OkReply;
  ConfigKey key = ConfigKey::profile;
  std::string value;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("key", m.key);
    v.required("value", m.value);
  }
  bool operator==(const ConfigSet&) const = default;
};

// ---- credentials -----------------------------------------------------------------------------

// The agent reads the file itself (same uid): the client never reads a refresh token.
struct ImportReply {
  std::vector<std::string> profiles;  // profiles imported

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("profiles", m.profiles);
  }
  bool operator==(const ImportReply&) const = default;
};
struct AuthImport {
  static constexpr std::string_view kOp = "auth_import";
  using Reply = ImportReply;
  std::string path;     // absolute path of a credentials file (CONTRACT.md shapes)
  std::string profile;  // single-profile shape: target profile; multi: import only this one. Empty: default

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("path", m.path);
    v.optional("profile", m.profile);
  }
  bool operator==(const AuthImport&) const = default;
};

struct TokenReply {
  std::string profile;     // the profile resolved by the agent
  std::string token;       // the access token: the only secret the protocol ever carries out
  std::string expires_at;  // RFC 3339 UTC, empty when unknown

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("profile", m.profile);
    v.required("token", m.token);
    v.optional("expires_at", m.expires_at);
  }
  bool operator==(const TokenReply&) const = default;
};
struct GetToken {
  static constexpr std::string_view kOp = "get_token";
  using Reply = TokenReply;
  std::string profile;         // empty: the default profile
  std::int64_t min_valid = 0;  // seconds the token must stay valid

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("profile", m.profile);
    v.optional("min_valid", m.min_valid);
  }
  bool operator==(const GetToken&) const = default;
};

// Status of one profile. Secrets appear masked only (proto/mask.hpp).
struct ProfileStatus {
  std::string name;
  ProfileKind kind = ProfileKind::oidc;
  ProfileState state = ProfileState::no_credentials;  // login_pending: a login is under way
  std::optional<CredentialType> credential;  // none while the profile holds no credentials
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

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("name", m.name);
    v.always("kind", m.kind);
    v.always("state", m.state);
    v.optional("credential", m.credential);
    v.optional("api_key", m.api_key);
    v.optional("forget_at", m.forget_at);
    v.optional("last_used", m.last_used);
    v.always("requests", m.requests);
    v.always("failures", m.failures);
    v.optional("user_email", m.user_email);
    v.optional("user_id", m.user_id);
    v.optional("access_token", m.access_token);
    v.optional("refresh_token", m.refresh_token);
    v.optional("expires_at", m.expires_at);
    v.when(!m.expires_at.empty(), "expires_in", m.expires_in);
    v.optional("api_endpoint", m.api_endpoint);
    v.optional("issuer", m.issuer);
    v.optional("last_error", m.last_error);
  }
  bool operator==(const ProfileStatus&) const = default;
};
struct AuthStatusReply {
  std::string default_profile;
  StoreKind store = StoreKind::keyring;
  std::string store_problem;  // why the store could not be read (corrupt file, locked keyring), if so
  std::vector<ProfileStatus> profiles;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("default_profile", m.default_profile);
    v.always("store", m.store);
    v.optional("store_problem", m.store_problem);
    v.always("profiles", m.profiles);
  }
  bool operator==(const AuthStatusReply&) const = default;
};
struct AuthStatus {
  static constexpr std::string_view kOp = "auth_status";
  using Reply = AuthStatusReply;
  std::string profile;  // empty: every profile

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("profile", m.profile);
  }
  bool operator==(const AuthStatus&) const = default;
};

struct RefreshReply {
  std::string profile;
  std::string expires_at;  // of the new access token (RFC 3339 UTC), empty when unknown

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("profile", m.profile);
    v.optional("expires_at", m.expires_at);
  }
  bool operator==(const RefreshReply&) const = default;
};
// Refreshes now, whatever the token's remaining lifetime (joins a refresh already in flight).
struct AuthRefresh {
  static constexpr std::string_view kOp = "auth_refresh";
  using Reply = RefreshReply;
  std::string profile;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("profile", m.profile);
  }
  bool operator==(const AuthRefresh&) const = default;
};

struct LogoutReply {
  std::string profile;
  bool revoked = false;  // the server confirmed revocation (RFC 7009)
  std::string warning;   // why it could not revoke (offline, no revocation endpoint), if so

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("profile", m.profile);
    v.always("revoked", m.revoked);
    v.optional("warning", m.warning);
  }
  bool operator==(const LogoutReply&) const = default;
};
// Revokes at the server when possible, then forgets the profile's credentials (its configuration stays).
struct AuthLogout {
  static constexpr std::string_view kOp = "auth_logout";
  using Reply = LogoutReply;
  std::string profile;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("profile", m.profile);
  }
  bool operator==(const AuthLogout&) const = default;
};

// ---- JSON conversion (one pair per struct) ---------------------------------------------------

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

}  // namespace proto
