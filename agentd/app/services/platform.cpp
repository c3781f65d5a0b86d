#include "agentd/app/services/platform.hpp"

#include <spdlog/spdlog.h>

namespace agentd::app::services {
namespace asio = boost::asio;

Platform::Platform(asio::any_io_executor executor, const Settings& settings, Credentials& credentials,
                   http::Client& http, TokenSource token)
    : executor_(std::move(executor)), settings_(settings), credentials_(credentials), http_(http), token_(std::move(token)) {}

Platform::~Platform() = default;

std::string Platform::api_endpoint_of(const std::string& profile) const {
  // The endpoint bound to the credentials first: they are only ever sent where they came from.
  if (const auto* entry = credentials_.cache().find(profile); entry && !entry->credentials.api_endpoint.empty()) {
    return entry->credentials.api_endpoint;
  }
  if (const auto* configured = settings_.profile(profile); configured && !configured->api_endpoint.empty()) {
    return configured->api_endpoint;
  }
  return std::string(config::kDefaultApiEndpoint);
}

asio::awaitable<proto::Result<platform::Bearer>> Platform::credential_of(const proto::Target& target) {
  const std::string profile = settings_.resolve(target.profile);
  platform::Bearer bearer;
  if (!target.bearer.empty()) {
    // A credential the client was given: no profile is involved, but the endpoint still follows the
    // (default) profile unless FLUXLOOP_API_ENDPOINT names one.
    bearer.value = target.bearer;
    bearer.context = {platform::CredentialKind::given, {}};
  } else {
    if (!credentials_.cache().find(profile)) FLUXLOOP_CO_CHECK(co_await credentials_.ensure_loaded());
    const auto* entry = credentials_.cache().find(profile);
    if (entry && !entry->credentials.api_key.empty()) {
      bearer.value = entry->credentials.api_key;
      bearer.context = {platform::CredentialKind::api_key, profile};
    } else {
      // The get_token handler's logic: a valid access token, refreshed on demand when needed.
      proto::GetToken request{.profile = profile, .min_valid = 0};
      FLUXLOOP_CO_TRY(token, co_await token_(request));
      bearer.value = std::move(token.token);
      bearer.context = {platform::CredentialKind::oauth, profile};
    }
  }
  bearer.api_endpoint = target.api_endpoint.empty() ? api_endpoint_of(profile) : target.api_endpoint;
  co_return bearer;
}

asio::awaitable<proto::Result<platform::Answer>> Platform::send(const proto::Target& target, platform::Call call,
                                                                platform::Expect expect) {
  platform::Hooks hooks;
  hooks.credential = [this](const proto::Target& wanted) { return credential_of(wanted); };
  hooks.refresh = [this](const std::string& profile) {
    return credentials_.refresher().refresh(profile, tokens::Refresher::Mode::force);
  };
  auto answer = co_await platform::send(http_, hooks, target, std::move(call), expect);
  co_return answer;
}

void Platform::start_revocations(platform::Revocations::Revoke revoke) {
  revocations_ = std::make_shared<platform::Revocations>(
      executor_, settings_.options().home + "/" + std::string(platform::kRotationsFile), std::move(revoke));
  if (auto started = revocations_->start(); !started) {
    spdlog::warn("pending key revocations not loaded: {}", started.error().message);
  }
}

void Platform::stop_revocations() {
  if (revocations_) revocations_->stop();
}

proto::Status Platform::schedule_revocation(const platform::PendingRevocation& pending) {
  if (!revocations_) return proto::Status(proto::ErrorCode::internal, "revocations not started");
  return revocations_->add(pending);
}

}  // namespace agentd::app::services
