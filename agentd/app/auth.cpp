// Handlers of credentials coming in and shown: import, status.
#include "agentd/app/auth.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "agentd/audit/monitor.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/util/atomic_file.hpp"
#include "agentd/util/blocking_call.hpp"
#include "proto/mask.hpp"

namespace agentd::app {
namespace {
namespace asio = boost::asio;

constexpr std::size_t kMaxImportBytes = 1024 * 1024;
// A local file of at most kMaxImportBytes reads in milliseconds; a hung network mount gets this long.
constexpr auto kImportReadDeadline = std::chrono::seconds(10);

}  // namespace

AuthHandlers::AuthHandlers(services::Settings& settings, services::Credentials& credentials,
                           const services::Logins& logins, const audit::Monitor& monitor)
    : settings_(settings), credentials_(credentials), logins_(logins), monitor_(monitor) {}

AuthHandlers::~AuthHandlers() = default;

Handled<proto::AuthImport> AuthHandlers::on(const proto::AuthImport& request) {
  if (request.path.empty() || request.path.front() != '/') {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "import needs an absolute file path"};
  }
  if (!request.profile.empty()) {
    FLUXLOOP_CO_CHECK(config::validate_profile_name(request.profile));
  }
  // Read on a worker: even a regular file can block (NFS, FUSE), and the I/O thread serves everyone.
  if (!file_io_) file_io_ = std::make_unique<util::BlockingRunner>("reading the file", proto::ErrorCode::invalid_argument);
  std::function<proto::Result<std::optional<std::string>>()> read = [path = request.path] {
    return util::read_file(path, kMaxImportBytes, util::Privacy::any, util::Symlinks::refuse);
  };
  auto text = co_await file_io_->run<std::optional<std::string>>(std::move(read), kImportReadDeadline);
  if (!text) co_return proto::Error{proto::ErrorCode::invalid_argument, "cannot import: " + text.error().message};
  if (!*text) co_return proto::Error{proto::ErrorCode::invalid_argument, "no such file: " + request.path};
  auto parsed = store::parse_credentials(**text, settings_.resolve(request.profile));
  proto::wipe(**text);
  if (!parsed) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "cannot import " + request.path + ": " + parsed.error().message};
  }
  auto& file = *parsed;
  if (!request.profile.empty() && file.profiles.size() > 1) {
    // Multi-profile file with --profile: import just that one.
    auto it = file.profiles.find(request.profile);
    if (it == file.profiles.end()) {
      co_return proto::Error{proto::ErrorCode::no_such_profile,
                             request.path + " has no profile '" + request.profile + "'"};
    }
    auto one = std::move(it->second);
    file.profiles.clear();
    file.profiles.emplace(request.profile, std::move(one));
  }
  if (file.profiles.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, request.path + " holds no profile"};
  }
  for (auto& [name, credentials] : file.profiles) {
    FLUXLOOP_CO_CHECK(config::validate_profile_name(name));
    // Bound before anything is saved: a conflict refuses the whole file.
    FLUXLOOP_CO_CHECK(credentials_.bind_arrival(name, credentials));
  }
  co_await credentials_.ensure_loaded();
  proto::ImportReply reply;
  for (auto& [name, credentials] : file.profiles) {
    // A refresh landing after the import must not write its older tokens over the imported ones.
    co_await credentials_.refresher().wait_idle(name);
    // Stamped, persisted before it is served, remembered, observed.
    FLUXLOOP_CO_CHECK(co_await credentials_.admit(name, std::move(credentials)));
    reply.profiles.push_back(name);
    spdlog::info("imported credentials for profile {}", name);
  }
  if (settings_.config().default_profile.empty() && !file.default_profile.empty()) {
    auto updated = settings_.config();
    updated.default_profile = file.default_profile;
    (void)settings_.update(std::move(updated));  // best effort: the credentials are in already
  }
  co_return reply;
}

Handled<proto::AuthStatus> AuthHandlers::on(const proto::AuthStatus& request) {
  co_await credentials_.ensure_loaded();  // a store problem shows up as last_error below
  proto::AuthStatusReply reply;
  reply.default_profile = settings_.resolve("");
  reply.store = credentials_.store().kind();
  reply.store_problem = credentials_.store_problem();
  std::set<std::string> names;
  if (!request.profile.empty()) names.insert(request.profile);
  else names = credentials_.profile_names();
  for (const auto& name : names) {
    proto::ProfileStatus status;
    status.name = name;
    status.kind = credentials_.view_of(name).kind;
    if (const auto* configured = settings_.profile(name)) {
      status.issuer = configured->issuer;
      status.api_endpoint = configured->api_endpoint;
    }
    const auto* entry = credentials_.cache().find(name);
    if (!entry) {
      if (!request.profile.empty() && !settings_.config().profiles.contains(name)) {
        co_return proto::Error{proto::ErrorCode::no_such_profile,
                               "no profile named '" + name + "'; see `fluxloop profile list`"};
      }
      status.state = proto::ProfileState::no_credentials;
      status.last_error = credentials_.store_problem();
    } else {
      const auto& c = entry->credentials;
      status.user_email = c.user_email;
      status.user_id = c.user_id;
      status.access_token = proto::mask_secret(c.access_token);
      status.refresh_token = proto::mask_secret(c.refresh_token);
      if (status.issuer.empty()) status.issuer = c.issuer;
      if (status.api_endpoint.empty()) status.api_endpoint = c.api_endpoint;
      if (entry->expires) {
        status.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry->expires));
        status.expires_in = std::chrono::duration_cast<std::chrono::seconds>(*entry->expires - tokens::BootClock::now()).count();
      }
      status.last_error = entry->last_error;
      status.forget_at = c.forget_at;
      status.credential = c.api_key.empty() ? proto::CredentialType::oauth : proto::CredentialType::api_key;
      status.api_key = proto::mask_secret(c.api_key);
      using proto::ProfileState;
      if (!c.api_key.empty()) status.state = ProfileState::valid;  // a key has no expiry; the platform says if it is revoked
      else if (entry->login_required) status.state = ProfileState::login_required;
      else if (entry->valid_for(std::chrono::seconds(0))) status.state = ProfileState::valid;
      else status.state = c.refresh_token.empty() ? ProfileState::login_required : ProfileState::expired;
    }
    // A login under way (also one finishing after `auth login --no-wait`) is what the user waits for,
    // even while an older token is still served.
    if (logins_.pending(name)) status.state = proto::ProfileState::login_pending;
    if (status.api_endpoint.empty()) status.api_endpoint = std::string(config::kDefaultApiEndpoint);
    if (const auto* used = monitor_.figures(audit::CredentialKind::profile, name)) {
      if (used->last_used) status.last_used = tokens::format_rfc3339(*used->last_used);
      status.requests = used->requests;
      status.failures = used->failures;
    }
    reply.profiles.push_back(std::move(status));
  }
  co_return reply;
}

}  // namespace agentd::app
