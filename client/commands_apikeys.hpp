// `fluxloop apikeys …`: API keys at the platform, managed through the agent (docs/apikeys.md). The
// credential follows the contract's precedence (choose_target); the agent makes every HTTPS call.
#pragma once

#include <string>
#include <vector>

#include "client/app.hpp"
#include "client/outcome.hpp"
#include "proto/messages_platform.hpp"

namespace client {

// Flags every apikeys command shares: which credential acts (CONTRACT.md precedence).
struct ApiKeysCommon {
  std::string profile;  // --profile
  std::string api_key;  // --api-key (a secret: never echoed)
  std::string project_id;  // --project-id (apikeys on fluxloop profiles); else .fluxloop/project.json
  bool json = false;    // --json
};
struct ApiKeysCreateOptions {
  ApiKeysCommon common;
  std::string name;   // --name
  std::string scope;  // --scope read|write|read-write|admin ("": the platform default, read-write)
  std::string type;   // --type user|service-account
  std::string store;  // --store PROFILE: keep the key in this new profile instead of printing it
};
struct ApiKeysKeyOptions {  // info, revoke
  ApiKeysCommon common;
  std::string key_or_id;  // an id, a name or a key; "-" reads it from stdin (argv is visible in ps)
};
struct ApiKeysRotateOptions {
  ApiKeysCommon common;
  std::string name_or_id;  // a name, an id or a key; "-" reads it from stdin
  std::string grace = "0"; // --grace DURATION (validated by the parser): 0 revokes the old key at once
};

// The Target for these flags and the environment (choose_target with FLUXLOOP_API_ENDPOINT).
Outcome<proto::Target> apikeys_target(const ApiKeysCommon& common, const Environment& env);
// "-" -> the first line of stdin (trimmed; at most 4 KiB); anything else as given. Usage error (2) when
// stdin holds nothing.
Outcome<std::string> key_argument(const std::string& argument);
// `apikeys list` as an aligned table (one row per key; secrets never present, only prefix…last4).
std::string render_api_keys(const std::vector<proto::ApiKeyRecord>& keys);
// `apikeys info`: one "key  value" line per field.
std::string render_api_key(const proto::ApiKeyRecord& record);

// Each returns the process exit code.
int apikeys_create(App& app, const ApiKeysCreateOptions& options);
int apikeys_list(App& app, const ApiKeysCommon& options);
int apikeys_info(App& app, const ApiKeysKeyOptions& options);
int apikeys_revoke(App& app, const ApiKeysKeyOptions& options);
int apikeys_rotate(App& app, const ApiKeysRotateOptions& options);

}  // namespace client
