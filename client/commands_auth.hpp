// `fluxloop auth …`: credentials of a profile. One function per command; the request builders are
// pure so the argument -> request mapping is unit-tested without an agent.
#pragma once

#include <cstdint>
#include <string>

#include "client/app.hpp"
#include "client/precedence.hpp"
#include "proto/messages.hpp"

namespace client {

struct AuthImportOptions {
  std::string file;     // as given on the command line
  std::string profile;  // --profile
};
struct AuthTokenOptions {
  std::string profile;    // --profile
  std::string api_key;    // --api-key (a secret: never echoed)
  std::string min_valid;  // --min-valid, already validated by the parser (parse_seconds)
};
struct AuthStatusOptions {
  std::string profile;  // --profile
  bool json = false;
};

// The import request for a file already resolved to an absolute path. The agent reads the file
// itself: the client never reads a refresh token.
proto::AuthImport import_request(std::string absolute_path, const std::string& profile_flag, const Environment& env);
// The token request for a credential that comes from the agent (Credential::from_agent()).
proto::GetToken token_request(const Credential& credential, std::int64_t min_valid);
// The status request: one profile (flag, else FLUXLOOP_PROFILE) or every profile.
proto::AuthStatus status_request(const std::string& profile_flag, const Environment& env);
// The inputs for choose_credential from the flags and the environment.
CredentialInputs credential_inputs(const AuthTokenOptions& options, const Environment& env);

// Each returns the process exit code.
int auth_import(App& app, const AuthImportOptions& options);
int auth_token(App& app, const AuthTokenOptions& options);
int auth_status(App& app, const AuthStatusOptions& options);

}  // namespace client
