// Handlers for credentials: import, tokens, status.
#include <set>

#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/util/atomic_file.hpp"
#include "agentd/util/blocking_call.hpp"
#include "proto/mask.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;

constexpr std::size_t kMaxImportBytes = 1024 * 1024;
// A local file of at most kMaxImportBytes reads in milliseconds; a hung network mount gets this long.
constexpr auto kImportReadDeadline = std::chrono::seconds(10);

}  // namespace

asio::awaitable<proto::Result<proto::ImportReply>> App::State::on(const proto::AuthImport& request, const server::Peer&) {
  if (request.path.empty() || request.path.front() != '/') {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "import needs an absolute file path"};
  }
  if (!request.profile.empty()) {
    if (auto ok = config::validate_profile_name(request.profile); !ok) co_return std::move(ok).error();
  }
  // Read on a worker: even a regular file can block (NFS, FUSE), and the I/O thread serves everyone.
  if (!file_io) file_io = std::make_unique<util::BlockingRunner>("reading the file", proto::ErrorCode::invalid_argument);
  std::function<proto::Result<std::optional<std::string>>()> read = [path = request.path] {
    return util::read_file(path, kMaxImportBytes, util::Privacy::any, util::Symlinks::refuse);
  };
  auto text = co_await file_io->run<std::optional<std::string>>(std::move(read), kImportReadDeadline);
  if (!text) co_return proto::Error{proto::ErrorCode::invalid_argument, "cannot import: " + text.error().message};
  if (!*text) co_return proto::Error{proto::ErrorCode::invalid_argument, "no such file: " + request.path};
  auto parsed = store::parse_credentials(**text, resolve(request.profile));
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
    if (auto ok = config::validate_profile_name(name); !ok) co_return std::move(ok).error();
    // Bound before anything is saved: a conflict refuses the whole file.
    if (auto bound = bind_arrival(name, credentials); !bound) co_return std::move(bound).error();
  }
  co_await ensure_loaded();
  proto::ImportReply reply;
  for (auto& [name, credentials] : file.profiles) {
    // A refresh landing after the import must not write its older tokens over the imported ones.
    co_await refresher->wait_idle(name);
    stamp_arrival(name, credentials);
    // Persist before serving: a token the agent hands out must survive an agent restart.
    if (auto saved = co_await store->save(name, credentials); !saved) co_return std::move(saved).error();
    remember(name, std::move(credentials));
    credentials_changed(name, CredentialChange::saved);
    reply.profiles.push_back(name);
    spdlog::info("imported credentials for profile {}", name);
  }
  if (config.default_profile.empty() && !file.default_profile.empty()) {
    auto updated = config;
    updated.default_profile = file.default_profile;
    if (config::save(config_path(), updated)) config = std::move(updated);
  }
  co_return reply;
}

asio::awaitable<proto::Result<proto::AuthStatusReply>> App::State::on(const proto::AuthStatus& request, const server::Peer&) {
  co_await ensure_loaded();  // a store problem shows up as last_error below
  proto::AuthStatusReply reply;
  reply.default_profile = resolve("");
  reply.store = std::string(store->kind());
  reply.store_problem = store_problem;
  std::set<std::string> names;
  if (!request.profile.empty()) {
    names.insert(request.profile);
  } else {
    for (const auto& [name, _] : config.profiles) names.insert(name);
    for (const auto& [name, _] : cache.entries()) names.insert(name);
  }
  for (const auto& name : names) {
    proto::ProfileStatus status;
    status.name = name;
    status.kind = view_of(name).kind;
    if (auto it = config.profiles.find(name); it != config.profiles.end()) {
      status.issuer = it->second.issuer;
      status.api_endpoint = it->second.api_endpoint;
    }
    const auto* entry = cache.find(name);
    if (!entry) {
      if (!request.profile.empty() && !config.profiles.contains(name)) {
        co_return proto::Error{proto::ErrorCode::no_such_profile,
                               "no profile named '" + name + "'; see `fluxloop profile list`"};
      }
      status.state = proto::ProfileState::no_credentials;
      status.last_error = store_problem;
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
      status.credential = c.api_key.empty() ? "oauth" : "api_key";
      status.api_key = proto::mask_secret(c.api_key);
      using proto::ProfileState;
      if (!c.api_key.empty()) status.state = ProfileState::valid;  // a key has no expiry; the platform says if it is revoked
      else if (entry->login_required) status.state = ProfileState::login_required;
      else if (entry->valid_for(std::chrono::seconds(0))) status.state = ProfileState::valid;
      else status.state = c.refresh_token.empty() ? ProfileState::login_required : ProfileState::expired;
    }
    // A login under way (also one finishing after `auth login --no-wait`) is what the user waits for,
    // even while an older token is still served.
    if (login_pending(name)) status.state = proto::ProfileState::login_pending;
    if (status.api_endpoint.empty()) status.api_endpoint = std::string(config::kDefaultApiEndpoint);
    if (const auto* used = monitor->figures(audit::CredentialKind::profile, name)) {
      if (used->last_used) status.last_used = tokens::format_rfc3339(*used->last_used);
      status.requests = used->requests;
      status.failures = used->failures;
    }
    reply.profiles.push_back(std::move(status));
  }
  co_return reply;
}

}  // namespace agentd
