// Handlers for apikey_* (docs/apikeys.md): keys are created, listed, looked up and revoked at the
// platform through agentd/platform; a key is shown once (or kept in a new profile) and never logged.
// Rotation swaps the replacement into every profile holding the old key and leaves the old key's
// revocation to platform::Revocations, whose deadlines survive restarts (rotations.json).
//
// A rotation through a credential the client gave (Target.bearer) with a grace period is refused:
// after a restart the agent would have no credential to revoke the old key with, and keeping the
// client's bearer on disk would turn a one-shot CI secret into a stored one. Grace 0 works.
#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agentd/app/apikeys.hpp"

#include "agentd/platform/records.hpp"
#include "agentd/platform/revocations.hpp"
#include "agentd/tokens/clock.hpp"
#include "proto/duration.hpp"
#include "proto/mask.hpp"

namespace agentd::app {
namespace {
namespace asio = boost::asio;

constexpr std::int64_t kMaxGraceSeconds = proto::kMaxDurationSeconds;
constexpr std::size_t kMaxNameLength = 200;

// The body of a successful answer as JSON, or server_error.
proto::Result<nlohmann::json> json_of(const platform::Answer& answer, std::string_view what) {
  auto json = nlohmann::json::parse(answer.response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return proto::Error{proto::ErrorCode::server_error, "cannot " + std::string(what) + ": the platform's answer is not JSON"};
  }
  return json;
}

}  // namespace

// The profiles of this agent whose credentials hold the key of `record`.
std::vector<std::string> ApiKeyHandlers::holders(const proto::ApiKeyRecord& record) const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : credentials_.cache().entries()) {
    if (platform::holds_key(entry.credentials, record)) out.push_back(name);
  }
  return out;
}

// Where the keys of a target live: its profile's kind's key API, and the project when that kind's
// keys are per project (required then).
struct ApiKeyHandlers::KeyPlace {
  kinds::KeyApi api;
  std::string project_id;
  std::string collection() const { return std::string(api.collection); }
  std::string item(const std::string& id) const { return collection() + "/" + platform::path_segment(id); }
};

proto::Result<ApiKeyHandlers::KeyPlace> ApiKeyHandlers::place_of(const proto::Target& target) const {
  const auto view = credentials_.view_of(settings_.resolve(target.profile));
  KeyPlace place{credentials_.kind_of(view).keys(), target.project_id};
  if (place.api.per_project && place.project_id.empty()) {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "API keys of " + std::string(proto::to_string(view.kind)) + " profile '" + view.name +
                            "' belong to a project: pass --project-id ID, or select a project with the platform CLI's "
                            "`fluxloop projects select ID` (it writes .fluxloop/project.json in this directory)"};
  }
  return place;
}

asio::awaitable<proto::Result<std::vector<proto::ApiKeyRecord>>> ApiKeyHandlers::list_records(const proto::Target& target) {
  FLUXLOOP_CO_TRY(place, place_of(target));
  std::string path = place.collection();
  if (place.api.per_project) path += "?project_id=" + platform::path_segment(place.project_id);
  platform::Call call{.method = "GET", .path = std::move(path), .body = {}, .what = "list API keys"};
  FLUXLOOP_CO_TRY(answer, co_await platform_.send(target, std::move(call), platform::Expect::success));
  FLUXLOOP_CO_TRY(json, json_of(answer, "list API keys"));
  FLUXLOOP_CO_TRY(records, platform::records_from_json(json));
  for (auto& record : records) record.profiles = holders(record);
  co_return std::move(records);
}

// One record at the platform, by what the user typed: a key given by value (looked up where the
// platform can, else matched in the list by prefix and last4; never in a URL or a log line), else
// an exact id, then an exact name. Two keys of that name: an error naming the way out.
asio::awaitable<proto::Result<proto::ApiKeyRecord>> ApiKeyHandlers::find_record(const proto::Target& target,
                                                                const std::string& key_or_id) {
  FLUXLOOP_CO_TRY(place, place_of(target));
  const bool by_value = platform::looks_like_key(key_or_id);
  if (!by_value && !platform::is_key_id(key_or_id) && key_or_id.size() > kMaxNameLength) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "expected an API key id, name or key; `fluxloop apikeys list` shows them"};
  }
  if (by_value && place.api.lookup_by_value) {
    nlohmann::json body = nlohmann::json::object();
    body["key"] = key_or_id;
    platform::Call call{.method = "POST", .path = place.collection() + "/lookup", .body = body.dump(), .what = "look up the API key"};
    FLUXLOOP_CO_TRY(answer, co_await platform_.send(target, std::move(call), platform::Expect::success));
    FLUXLOOP_CO_TRY(json, json_of(answer, "look up the API key"));
    auto record = platform::record_from_json(json);
    if (record) record->profiles = holders(*record);
    co_return record;
  }
  if (!by_value && place.api.item_get && platform::is_key_id(key_or_id)) {
    platform::Call call{.method = "GET", .path = place.item(key_or_id), .body = {}, .what = "look up the API key"};
    auto answer = co_await platform_.send(target, std::move(call), platform::Expect::success);
    if (answer) {
      FLUXLOOP_CO_TRY(json, json_of(*answer, "look up the API key"));
      auto record = platform::record_from_json(json);
      if (record) record->profiles = holders(*record);
      co_return record;
    }
    if (answer.error().code != proto::ErrorCode::not_found) co_return std::move(answer).error();
    // No key with that id: it may be a name.
  }
  FLUXLOOP_CO_TRY(keys, co_await list_records(target));
  if (by_value) {
    store::Credentials holder;
    holder.api_key = key_or_id;
    for (auto& key : keys) {
      if (platform::holds_key(holder, key)) co_return std::move(key);
    }
    co_return proto::Error{proto::ErrorCode::not_found, "no active API key matches the key given; `fluxloop apikeys list` shows them"};
  }
  for (auto& key : keys) {
    if (key.id == key_or_id) co_return std::move(key);
  }
  std::vector<proto::ApiKeyRecord> named;
  for (auto& key : keys) {
    if (key.name == key_or_id) named.push_back(std::move(key));
  }
  if (named.size() > 1) {
    std::string ids;
    for (const auto& key : named) ids += (ids.empty() ? "" : ", ") + key.id;
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "several API keys are named '" + key_or_id + "' (" + ids + "): name one by its id"};
  }
  if (named.empty()) {
    co_return proto::Error{proto::ErrorCode::not_found,
                           "no API key with the id or name '" + key_or_id + "'; `fluxloop apikeys list` shows them"};
  }
  co_return std::move(named.front());
}

struct ApiKeyHandlers::Created {
  proto::ApiKeyRecord record;
  std::string key;
  std::string api_endpoint;
  ~Created() { proto::wipe(key); }
};

asio::awaitable<proto::Result<ApiKeyHandlers::Created>> ApiKeyHandlers::create_key(const proto::Target& target, const std::string& name,
                                                   const std::string& scope, const std::string& type) {
  FLUXLOOP_CO_TRY(place, place_of(target));
  nlohmann::json body = nlohmann::json::object();
  if (place.api.per_project) body["project_id"] = place.project_id;
  body["name"] = name;
  if (!scope.empty()) body["scope"] = scope;
  if (!type.empty()) body["type"] = type;
  platform::Call call{.method = "POST", .path = place.collection(), .body = body.dump(), .what = "create an API key"};
  FLUXLOOP_CO_TRY(answer, co_await platform_.send(target, std::move(call), platform::Expect::success));
  FLUXLOOP_CO_TRY(json, json_of(answer, "create an API key"));
  FLUXLOOP_CO_TRY(parsed, platform::created_from_json(json));
  if (!platform::looks_like_key(parsed.key)) {
    const std::string which = parsed.record.id.empty() ? "an API key" : "API key " + parsed.record.id;
    co_return proto::Error{proto::ErrorCode::server_error, "the platform created " + which + " but sent no usable key"};
  }
  if (parsed.record.id.empty()) {
    spdlog::warn("the platform sent no id with a new API key: it is kept, and matched by its prefix and last "
                 "characters; `fluxloop apikeys list` shows its id");
  }
  Created created;
  created.record = std::move(parsed.record);
  created.key = parsed.key;
  created.api_endpoint = answer.api_endpoint;
  co_return created;
}

asio::awaitable<proto::Status> ApiKeyHandlers::delete_key(const proto::Target& target, const std::string& id) {
  // A key the platform listed or created without an id: there is no URL that names it alone (an
  // empty segment would address the collection).
  if (!platform::is_key_id(id)) {
    co_return proto::Error{proto::ErrorCode::server_error,
                           "the platform gave this API key no id, so the agent cannot revoke it: revoke it in the "
                           "FluxLoop web app (`fluxloop apikeys list` shows its name, prefix and last characters)"};
  }
  // Revoking needs no project: the id names the key.
  const auto view = credentials_.view_of(settings_.resolve(target.profile));
  const std::string path = std::string(credentials_.kind_of(view).keys().collection) + "/" + platform::path_segment(id);
  platform::Call call{.method = "DELETE", .path = path, .body = {}, .what = "revoke API key " + id};
  FLUXLOOP_CO_CHECK(co_await platform_.send(target, std::move(call), platform::Expect::success));
  spdlog::info("revoked API key {}", id);
  co_return proto::Ok{};
}

// Keeps `key` in `profile` (new credentials, persisted before they are served).
asio::awaitable<proto::Status> ApiKeyHandlers::store_key(const std::string& profile, const Created& created,
                                         store::Credentials credentials) {
  credentials.api_key = created.key;
  credentials.api_key_id = created.record.id;
  if (credentials.api_endpoint.empty()) credentials.api_endpoint = created.api_endpoint;
  auto saved = co_await credentials_.store().save(profile, credentials);
  if (!saved) co_return saved;
  credentials_.remember(profile, std::move(credentials));
  credentials_.changed(profile, services::CredentialChange::saved);
  co_return proto::Ok{};
}

asio::awaitable<proto::Status> ApiKeyHandlers::revoke_pending(const platform::PendingRevocation& pending) {
  proto::Target target;
  target.profile = pending.profile;
  auto revoked = co_await delete_key(target, pending.key_id);
  if (!revoked && revoked.error().code == proto::ErrorCode::not_found) co_return proto::Ok{};  // gone already
  co_return revoked;
}

Handled<proto::ApiKeyCreate> ApiKeyHandlers::on(const proto::ApiKeyCreate& request) {
  if (request.name.empty() || request.name.size() > kMaxNameLength) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "an API key needs a name (--name, at most 200 characters)"};
  }
  const std::string& profile = request.store_profile;
  if (!profile.empty()) {
    // Checked before the key exists, so a refused --store leaves no orphan key at the platform.
    FLUXLOOP_CO_CHECK(config::validate_profile_name(profile));
    // An unreadable store might hide a profile of that name, which saving would then overwrite.
    FLUXLOOP_CO_CHECK(co_await credentials_.ensure_loaded());
    if (settings_.config().profiles.contains(profile) || credentials_.cache().find(profile)) {
      co_return proto::Error{proto::ErrorCode::profile_exists,
                             "profile '" + profile + "' exists already: choose a new name for --store"};
    }
  }
  // Scope and type are wire enums, checked by the decoder; a rotation passes the platform's own spelling.
  const std::string scope(request.scope ? proto::to_string(*request.scope) : "");
  const std::string type(request.type ? proto::to_string(*request.type) : "");
  FLUXLOOP_CO_TRY(created, co_await create_key(request.target, request.name, scope, type));
  proto::ApiKeyCreateReply reply;
  spdlog::info("created API key {} ({}, {})", created.record.id, created.record.scope, created.record.type);
  if (!profile.empty()) {
    store::Credentials credentials;
    // The new profile belongs where its key came from: an oidc origin passes on its issuer and
    // client id, so the profile's kind (agentd/kinds/registry.hpp kind_of) is the origin's.
    const auto origin = credentials_.view_of(settings_.resolve(request.target.profile));
    if (origin.kind == proto::ProfileKind::oidc) {
      const auto* held = credentials_.cache().find(origin.name);
      credentials.issuer = !origin.config.issuer.empty() ? origin.config.issuer : held ? held->credentials.issuer : "";
      credentials.client_id = !origin.config.client_id.empty() ? origin.config.client_id : held ? held->credentials.client_id : "";
    }
    credentials_.stamp_arrival(profile, credentials);
    if (auto stored = co_await store_key(profile, created, std::move(credentials)); !stored) {
      // Nobody could ever use the key: take it back rather than leave it alive and unknown.
      co_await delete_key(request.target, created.record.id);
      co_return std::move(stored).error();
    }
    spdlog::info("API key {} stored in profile {}", created.record.id, profile);
    reply.stored_profile = profile;
    created.record.profiles.assign(1, profile);
  } else {
    reply.key = created.key;
  }
  reply.record = created.record;
  co_return reply;
}

Handled<proto::ApiKeyList> ApiKeyHandlers::on(const proto::ApiKeyList& request) {
  co_await credentials_.ensure_loaded();  // `profiles` of each record needs the credentials
  FLUXLOOP_CO_TRY(keys, co_await list_records(request.target));
  proto::ApiKeyListReply reply;
  reply.keys = std::move(keys);
  co_return reply;
}

Handled<proto::ApiKeyInfo> ApiKeyHandlers::on(const proto::ApiKeyInfo& request) {
  co_await credentials_.ensure_loaded();
  FLUXLOOP_CO_TRY(record, co_await find_record(request.target, request.key_or_id));
  co_return proto::ApiKeyReply{std::move(record)};
}

Handled<proto::ApiKeyRevoke> ApiKeyHandlers::on(const proto::ApiKeyRevoke& request) {
  co_await credentials_.ensure_loaded();
  FLUXLOOP_CO_TRY(record, co_await find_record(request.target, request.key_or_id));
  FLUXLOOP_CO_CHECK(co_await delete_key(request.target, record.id));
  if (!record.profiles.empty()) spdlog::warn("revoked API key {} is still held by profile(s) of this agent", record.id);
  co_return proto::ApiKeyReply{std::move(record)};
}

Handled<proto::ApiKeyRotate> ApiKeyHandlers::on(const proto::ApiKeyRotate& request) {
  if (request.grace_seconds < 0 || request.grace_seconds > kMaxGraceSeconds) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "--grace must be between 0 s and 366 d"};
  }
  if (request.grace_seconds > 0 && !request.target.bearer.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "a rotation with a grace period needs a profile of the agent (--profile P): the agent revokes "
                           "the old key later, also after a restart, and keeps no key passed by --api-key or the "
                           "environment; use --grace 0 to revoke at once"};
  }
  // Every holder must be known before the old key is scheduled to die.
  FLUXLOOP_CO_CHECK(co_await credentials_.ensure_loaded());
  // The old key: by value, else by exact id, then exact name (which must be unique).
  FLUXLOOP_CO_TRY(old, co_await find_record(request.target, request.name_or_id));

  FLUXLOOP_CO_TRY(created, co_await create_key(request.target, old.name, old.scope, old.type));
  proto::ApiKeyRotateReply reply;
  reply.old_id = old.id;
  spdlog::info("rotating API key {}: replacement {}", old.id, created.record.id);

  // Swap the replacement into every profile that held the old key, each persisted before use.
  for (const auto& profile : old.profiles) {
    const auto* entry = credentials_.cache().find(profile);
    if (!entry) continue;
    store::Credentials credentials = entry->credentials;
    if (auto stored = co_await store_key(profile, created, std::move(credentials)); !stored) {
      co_return proto::Error{stored.error().code,
                             "rotation incomplete: replacement " + created.record.id + " created, but profile '" + profile +
                                 "' could not be updated (" + stored.error().message + "); old key " + old.id + " left active"};
    }
    reply.profiles.push_back(profile);
  }
  if (reply.profiles.empty()) reply.key = created.key;
  created.record.profiles = reply.profiles;
  reply.record = created.record;

  const auto revoke_at = std::chrono::system_clock::now() + std::chrono::seconds(request.grace_seconds);
  if (request.grace_seconds == 0) {
    // The target may have been one of the holders: it now sends the replacement, which may revoke.
    if (auto revoked = co_await delete_key(request.target, old.id); !revoked) {
      co_return proto::Error{revoked.error().code, "replacement " + created.record.id + " created" +
                                                       (reply.profiles.empty() ? "" : " and stored") + ", but old key " + old.id +
                                                       " could not be revoked: " + revoked.error().message +
                                                       "; run `fluxloop apikeys revoke " + old.id + "`"};
    }
  } else {
    platform::PendingRevocation pending{old.id, settings_.resolve(request.target.profile), tokens::format_rfc3339(revoke_at)};
    if (auto added = platform_.schedule_revocation(pending); !added) {
      co_return proto::Error{added.error().code, "replacement " + created.record.id + " created, but the revocation of " + old.id +
                                                     " could not be scheduled (" + added.error().message + "); revoke it by hand"};
    }
    reply.revoke_at = pending.revoke_at;
    spdlog::info("API key {} will be revoked at {}", old.id, pending.revoke_at);
  }
  co_return reply;
}

}  // namespace agentd::app
