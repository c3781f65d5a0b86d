// Platform requests the agent makes for a client (API keys, `fluxloop api`) and redaction: their
// requests and replies (docs/protocol.md "Platform requests", "redact"). JSON: messages_platform.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "proto/fields.hpp"

namespace proto {

// ---- platform API: keys and requests made by the agent (docs/protocol.md) -------------------

// The credential and endpoint of a platform request, chosen by the client (CONTRACT.md precedence).
// Written flat into the request object.
struct Target {
  std::string profile;       // a profile held by the agent; empty: the default profile
  std::string bearer;        // a credential the client was given (--api-key, FLUXLOOP_TOKEN, FLUXLOOP_API_KEY,
                             // api_key_file), used instead of any profile. A secret: never logged.
  std::string api_endpoint;  // FLUXLOOP_API_ENDPOINT; empty: the profile's endpoint
  std::string project_id;    // fluxloop profiles' API keys are per project: --project-id, else the
                             // working directory's .fluxloop/project.json (read by the client)

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("profile", m.profile);
    v.optional("bearer", m.bearer);
    v.optional("api_endpoint", m.api_endpoint);
    v.optional("project_id", m.project_id);
  }
  bool operator==(const Target&) const = default;
};

// A key's record as the platform reports it; never the key itself.
struct ApiKeyRecord {
  std::string id;
  std::string name;
  // The platform's own spelling, passed through: KeyScope / KeyType name the known values
  // (read, write, read-write, admin; user, service-account); an unknown one is shown, not refused.
  std::string scope;
  std::string type;
  std::string prefix;
  std::string last4;
  std::string created_at;
  std::string last_used_at;  // empty: never used
  std::int64_t usage_count = 0;
  std::int64_t failed_attempts = 0;
  std::vector<std::string> profiles;  // profiles of this agent that hold the key

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("id", m.id);
    v.always("name", m.name);
    v.always("scope", m.scope);
    v.always("type", m.type);
    v.optional("prefix", m.prefix);
    v.optional("last4", m.last4);
    v.optional("created_at", m.created_at);
    v.nullable("last_used_at", m.last_used_at);
    v.always("usage_count", m.usage_count);
    v.always("failed_attempts", m.failed_attempts);
    v.optional("profiles", m.profiles);
  }
  bool operator==(const ApiKeyRecord&) const = default;
};

struct ApiKeyCreateReply {
  ApiKeyRecord record;
  std::string key;             // the new key, shown once; empty when stored in a profile
  std::string stored_profile;  // the profile that now holds it (--store)

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("record", m.record);
    v.optional("key", m.key);
    v.optional("stored_profile", m.stored_profile);
  }
  bool operator==(const ApiKeyCreateReply&) const = default;
};
struct ApiKeyCreate {
  static constexpr std::string_view kOp = "apikey_create";
  using Reply = ApiKeyCreateReply;
  Target target;
  std::string name;
  std::optional<KeyScope> scope;  // none: the platform default (read-write)
  std::optional<KeyType> type;    // none: user
  std::string store_profile;  // keep the key in a new profile of this name instead of returning it

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.flat(m.target);
    v.required("name", m.name);
    v.optional("scope", m.scope);
    v.optional("type", m.type);
    v.optional("store_profile", m.store_profile);
  }
  bool operator==(const ApiKeyCreate&) const = default;
};

struct ApiKeyListReply {
  std::vector<ApiKeyRecord> keys;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("keys", m.keys);
  }
  bool operator==(const ApiKeyListReply&) const = default;
};
struct ApiKeyList {
  static constexpr std::string_view kOp = "apikey_list";
  using Reply = ApiKeyListReply;
  Target target;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.flat(m.target);
  }
  bool operator==(const ApiKeyList&) const = default;
};

// One key's record, nested: a reply's top level holds the frame's own `id` and `ok`, so a record
// (which has an `id` of its own) is never written flat into it.
struct ApiKeyReply {
  ApiKeyRecord record;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("record", m.record);
  }
  bool operator==(const ApiKeyReply&) const = default;
};

// `key_or_id` is an id (an opaque string), a key's name, or a key given by value (looked up, never
// logged): an exact id match wins, then an exact name; a name that several keys share is an error.
struct ApiKeyInfo {
  static constexpr std::string_view kOp = "apikey_info";
  using Reply = ApiKeyReply;
  Target target;
  std::string key_or_id;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.flat(m.target);
    v.required("key_or_id", m.key_or_id);
  }
  bool operator==(const ApiKeyInfo&) const = default;
};

struct ApiKeyRevoke {
  static constexpr std::string_view kOp = "apikey_revoke";
  using Reply = ApiKeyReply;  // the record of the key revoked
  Target target;
  std::string key_or_id;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.flat(m.target);
    v.required("key_or_id", m.key_or_id);
  }
  bool operator==(const ApiKeyRevoke&) const = default;
};

struct ApiKeyRotateReply {
  ApiKeyRecord record;          // the replacement
  std::string key;              // the replacement key when no profile held the old one; else empty
  std::string old_id;
  std::string revoke_at;        // RFC 3339 UTC; empty: revoked already
  std::vector<std::string> profiles;  // profiles that now hold the replacement

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("record", m.record);
    v.optional("key", m.key);
    v.always("old_id", m.old_id);
    v.optional("revoke_at", m.revoke_at);
    v.optional("profiles", m.profiles);
  }
  bool operator==(const ApiKeyRotateReply&) const = default;
};
// Creates a replacement with the same name, scope and type, swaps it into every profile that held the
// old key, and revokes the old key after `grace_seconds` (the deadline survives agent restarts).
struct ApiKeyRotate {
  static constexpr std::string_view kOp = "apikey_rotate";
  using Reply = ApiKeyRotateReply;
  Target target;
  std::string name_or_id;
  std::int64_t grace_seconds = 0;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.flat(m.target);
    v.required("name_or_id", m.name_or_id);
    v.optional("grace_seconds", m.grace_seconds);
  }
  bool operator==(const ApiKeyRotate&) const = default;
};

struct ApiReply {
  std::int64_t status = 0;   // the HTTP status
  std::string content_type;
  std::string body;          // the response body (UTF-8; invalid bytes replaced)

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("status", m.status);
    v.optional("content_type", m.content_type);
    v.always("body", m.body);
  }
  bool operator==(const ApiReply&) const = default;
};
// One authenticated request to the platform API, made by the agent (the client never sees the token).
struct ApiRequest {
  static constexpr std::string_view kOp = "api_request";
  using Reply = ApiReply;
  Target target;
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // starts with '/', e.g. /v1/projects
  std::string body;    // JSON text; empty: no body

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.flat(m.target);
    v.required("method", m.method);
    v.required("path", m.path);
    v.optional("body", m.body);
  }
  bool operator==(const ApiRequest&) const = default;
};

// ---- redaction ---------------------------------------------------------------------------------

// One chunk of a stream to redact. Stateless: the agent redacts the longest prefix it can decide
// and says how many input bytes that covered (`consumed`); the client sends the rest again in front of
// its next chunk. With `final` the whole input is decided.
struct RedactReply {
  std::string data;            // base64 of the redacted output for the consumed input
  std::int64_t consumed = 0;   // input bytes decided

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("data", m.data);
    v.always("consumed", m.consumed);
  }
  bool operator==(const RedactReply&) const = default;
};
struct Redact {
  static constexpr std::string_view kOp = "redact";
  using Reply = RedactReply;
  std::string data;  // base64 of the input bytes (any bytes, not only UTF-8)
  bool final = false;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("data", m.data);
    v.optional("final", m.final);
  }
  bool operator==(const Redact&) const = default;
};

// ---- JSON conversion (one pair per struct) ---------------------------------------------------

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

}  // namespace proto
