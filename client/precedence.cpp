#include "client/precedence.hpp"

namespace client {
namespace {

constexpr std::string_view kUserKeyPrefix = "flx_api_";
constexpr std::string_view kServiceKeyPrefix = "flx_sa_";

Failure invalid_key(CredentialSource source) {
  // Never quote the key: a mistyped key may still be most of a real one.
  const std::string where(describe(source));
  const std::string fix = source == CredentialSource::api_key_flag ? "pass a key that does" : "fix or unset FLUXLOOP_API_KEY";
  return Failure{proto::kExitError,
                 "Invalid API key in " + where + ": API keys start with flx_api_ or flx_sa_; " + fix +
                     " (create one with `fluxloop apikeys create --name NAME`)",
                 FailureKind::local};
}

}  // namespace

bool Credential::from_agent() const noexcept {
  return source == CredentialSource::profile_flag || source == CredentialSource::env_profile ||
         source == CredentialSource::agent_default;
}

bool api_key_format_ok(std::string_view key) noexcept {
  auto has_body = [&](std::string_view prefix) { return key.size() > prefix.size() && key.starts_with(prefix); };
  return has_body(kUserKeyPrefix) || has_body(kServiceKeyPrefix);
}

Outcome<Credential> choose_credential(const CredentialInputs& in) {
  if (!in.api_key_flag.empty()) {
    if (!api_key_format_ok(in.api_key_flag)) return invalid_key(CredentialSource::api_key_flag);
    return Credential{CredentialSource::api_key_flag, in.api_key_flag};
  }
  if (!in.profile_flag.empty()) return Credential{CredentialSource::profile_flag, in.profile_flag};
  if (!in.env_token.empty()) return Credential{CredentialSource::env_token, in.env_token};
  if (!in.env_api_key.empty()) {
    if (!api_key_format_ok(in.env_api_key)) return invalid_key(CredentialSource::env_api_key);
    return Credential{CredentialSource::env_api_key, in.env_api_key};
  }
  if (!in.env_profile.empty()) return Credential{CredentialSource::env_profile, in.env_profile};
  // Only now is the config read: a command with any earlier source set never touches the disk.
  if (in.api_key_file) {
    auto key = in.api_key_file();
    if (!key) return std::move(key).error();
    if (*key) return Credential{CredentialSource::api_key_file, std::move(**key)};
  }
  return Credential{CredentialSource::agent_default, {}};
}

Outcome<proto::Target> choose_target(const CredentialInputs& inputs, std::string api_endpoint) {
  auto credential = choose_credential(inputs);
  if (!credential) return std::move(credential).error();
  proto::Target target;
  if (credential->from_agent()) target.profile = std::move(credential->value);
  else target.bearer = std::move(credential->value);
  target.api_endpoint = std::move(api_endpoint);
  return target;
}

std::string choose_profile(std::string_view profile_flag, std::string_view env_profile) {
  if (!profile_flag.empty()) return std::string(profile_flag);
  return std::string(env_profile);
}

std::string_view describe(CredentialSource source) noexcept {
  switch (source) {
    case CredentialSource::api_key_flag: return "--api-key";
    case CredentialSource::profile_flag: return "--profile";
    case CredentialSource::env_token: return "FLUXLOOP_TOKEN";
    case CredentialSource::env_api_key: return "FLUXLOOP_API_KEY";
    case CredentialSource::env_profile: return "FLUXLOOP_PROFILE";
    case CredentialSource::api_key_file: return "the api_key_file setting";
    case CredentialSource::agent_default: return "the agent's default profile";
  }
  return "?";
}

}  // namespace client
