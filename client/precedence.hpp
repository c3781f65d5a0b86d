// Which credential and which profile a command uses (CONTRACT.md "Precedence"). Pure functions:
// the caller passes flags and environment values in; the one source read from disk (the
// `api_key_file` setting) comes in as a function, called only when every earlier source is empty.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "client/key_file.hpp"
#include "client/outcome.hpp"
#include "proto/messages_platform.hpp"

namespace client {

// The inputs that decide `auth token`'s credential; an empty string means "not given".
struct CredentialInputs {
  std::string api_key_flag;  // --api-key KEY
  std::string profile_flag;  // --profile P
  std::string env_token;     // FLUXLOOP_TOKEN
  std::string env_api_key;   // FLUXLOOP_API_KEY
  std::string env_profile;   // FLUXLOOP_PROFILE
  // The key named by the `api_key_file` setting (nullopt: none set). Defaults to the real reader
  // (client/key_file.hpp), so every command that builds CredentialInputs follows the whole chain;
  // tests replace it.
  std::function<Outcome<std::optional<std::string>>()> api_key_file = configured_api_key;
};

// Where the chosen credential comes from, in precedence order.
enum class CredentialSource {
  api_key_flag,   // --api-key: the key itself
  profile_flag,   // --profile: ask the agent for that profile
  env_token,      // FLUXLOOP_TOKEN: the token itself, no agent needed
  env_api_key,    // FLUXLOOP_API_KEY: the key itself, no agent needed
  env_profile,    // FLUXLOOP_PROFILE: ask the agent for that profile
  api_key_file,   // the key in the file the `api_key_file` setting names, no agent needed
  agent_default,  // ask the agent with an empty profile: it applies its configured default, then `production`
};

// The winner: for api_key_flag/env_token/env_api_key/api_key_file `value` is the secret itself (print it, never log
// it); for the agent sources it is the profile name (empty for agent_default).
struct Credential {
  CredentialSource source = CredentialSource::agent_default;
  std::string value;
  // True when the agent must be asked.
  bool from_agent() const noexcept;
};

// First match wins. A winning API key that is not `flx_api_…`/`flx_sa_…` fails with exit 1
// ("Invalid API key …"); the message never contains the key. So does an api_key_file that cannot be
// used (group/world readable, missing): a configured key is never skipped silently.
Outcome<Credential> choose_credential(const CredentialInputs& inputs);

// The credential and endpoint of a platform request (`apikeys`, `api`): the same precedence as
// choose_credential; a credential the client holds travels as Target::bearer (the agent makes the
// HTTPS call), an agent source as Target::profile. `api_endpoint` is FLUXLOOP_API_ENDPOINT.
Outcome<proto::Target> choose_target(const CredentialInputs& inputs, std::string api_endpoint);

// For commands that act on a profile: --profile, else FLUXLOOP_PROFILE, else "" (the agent's default).
std::string choose_profile(std::string_view profile_flag, std::string_view env_profile);

// True for the API key shapes the platform issues: `flx_api_…` (user) and `flx_sa_…` (service account).
bool api_key_format_ok(std::string_view key) noexcept;

// "--api-key", "FLUXLOOP_TOKEN", …: names the source in messages.
std::string_view describe(CredentialSource source) noexcept;

}  // namespace client
