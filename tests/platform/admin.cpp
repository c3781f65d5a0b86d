// The /_emulator/ test knobs: stats, runtime configuration, fault injection, device approval and
// bulk expiry/revocation. No authentication, so loopback peers only.
#include <algorithm>

#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
constexpr long long kMaxSeconds = 10LL * 365 * 24 * 3600;
constexpr long long kMaxFaultCount = 1000000;
constexpr long long kMaxDelayMs = 600000;
constexpr long long kDefaultDelayMs = 1000;
constexpr std::string_view kDefaultScope = "openid email offline_access";

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

// Reads an integer field in [lo, hi]; sets `error` (and returns false) when it is not one.
bool int_field(const nlohmann::json& in, const char* name, long long lo, long long hi, long long& out,
               std::string& error) {
  const auto& v = in.at(name);
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi) {
    error = std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return false;
  }
  out = v.get<long long>();
  return true;
}

bool bool_field(const nlohmann::json& in, const char* name, bool& out, std::string& error) {
  if (!in.at(name).is_boolean()) {
    error = std::string(name) + " must be true or false";
    return false;
  }
  out = in.at(name).get<bool>();
  return true;
}

// Reads a string knob that must spell one of `names`.
template <typename E, std::size_t N>
bool enum_field(const nlohmann::json& value, const std::string& name, const std::array<std::string_view, N>& names,
                E& out, std::string& error) {
  auto parsed = value.is_string() ? enum_from_name<E>(names, value.get<std::string>()) : std::nullopt;
  if (!parsed) {
    error = name + " must be one of:";
    for (auto n : names) error += " " + std::string(n);
    return false;
  }
  out = *parsed;
  return true;
}

nlohmann::json parse_object(const std::string& body) {
  if (body.empty()) return nlohmann::json::object();
  return nlohmann::json::parse(body, nullptr, false);
}
}  // namespace

nlohmann::json Platform::config_json() const {
  return {{"token_lifetime", config_.token_lifetime.count()},
          {"refresh_token_lifetime", config_.refresh_token_lifetime.count()},
          {"rotate", config_.rotate},
          {"auto_approve", config_.auto_approve},
          {"deny_authorize", config_.deny_authorize},
          {"device_approve_after_polls", config_.device_approve_after_polls},
          {"device_approve_after_ms", config_.device_approve_after.count()},
          {"device_interval", config_.device_interval.count()},
          {"device_code_lifetime", config_.device_code_lifetime.count()},
          {"code_lifetime", config_.code_lifetime.count()},
          {"user_email", config_.user_email},
          {"cli_connect_interval", config_.cli_connect_interval.count()},
          {"cli_connect_lifetime", config_.cli_connect_lifetime.count()},
          {"cli_connect_spelling", enum_name(kStartSpellingNames, config_.cli_connect_spelling)},
          {"cli_connect_auto_approve", config_.cli_connect_auto_approve},
          {"cli_connect_approve_after_polls", config_.cli_connect_approve_after_polls},
          {"cli_connect_deny", config_.cli_connect_deny},
          {"cli_connect_expires_at", enum_name(kExpiresAtFormatNames, config_.cli_connect_expires_at)},
          {"api_key_shape", enum_name(kKeyShapeNames, config_.api_key_shape)},
          {"api_list_shape", enum_name(kListShapeNames, config_.api_list_shape)},
          {"v1_key_ids", enum_name(kV1KeyIdsNames, config_.v1_key_ids)}};
}

nlohmann::json Platform::stats_json() const {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t valid_access = 0, valid_refresh = 0, active_grants = 0, active_keys = 0, pending_devices = 0;
  for (const auto& [v, at] : access_)
    if (!at.revoked && now < at.expires && !grants_.at(at.grant_id).revoked) ++valid_access;
  for (const auto& [v, rt] : refresh_)
    if (!rt.rotated && !grants_.at(rt.grant_id).revoked && (!rt.expires || now < *rt.expires)) ++valid_refresh;
  for (const auto& [id, g] : grants_)
    if (!g.revoked) ++active_grants;
  for (const auto& [id, k] : keys_)
    if (!k.revoked) ++active_keys;
  for (const auto& [dc, d] : devices_)
    if (d.status == DeviceStatus::pending && now < d.expires) ++pending_devices;
  const Stats& s = stats_;
  nlohmann::json out = {{"requests", s.requests},
          {"connections", s.connections},
          {"token_requests", s.token_requests},
          {"token_errors", s.token_errors},
          {"refreshes", s.refreshes},
          {"refreshes_succeeded", s.refreshes_succeeded},
          {"refresh_token_reuse", s.refresh_token_reuse},
          {"authorize_requests", s.authorize_requests},
          {"codes_issued", s.codes_issued},
          {"device_authorizations", s.device_authorizations},
          {"device_polls", s.device_polls},
          {"device_slow_downs", s.device_slow_downs},
          {"revocations", s.revocations},
          {"userinfo_requests", s.userinfo_requests},
          {"api_requests", s.api_requests},
          {"api_unauthorized", s.api_unauthorized},
          {"api_forbidden", s.api_forbidden},
          {"expired_token_uses", s.expired_token_uses},
          {"access_tokens_issued", s.access_tokens_issued},
          {"refresh_tokens_issued", s.refresh_tokens_issued},
          {"faults_injected", s.faults_injected},
          {"faults_pending", faults_.size()},
          {"valid_access_tokens", valid_access},
          {"valid_refresh_tokens", valid_refresh},
          {"active_grants", active_grants},
          {"active_api_keys", active_keys},
          {"pending_device_codes", pending_devices}};
  platform_stats_json(out);
  return out;
}

HttpResponse Platform::admin(const HttpRequest& req) {
  // These knobs have no authentication at all; never let them answer a non-local peer.
  if (!req.peer_is_loopback)
    return error_response(403, "forbidden", "the /_emulator/ API answers loopback peers only");
  const std::string path = req.path();
  const bool get = req.method == "GET", post = req.method == "POST";

  if (path == "/_emulator/stats" && get) return json_response(200, stats_json());
  if (path == "/_emulator/stats/reset" && post) {
    const auto connections = stats_.connections;
    stats_ = Stats{};
    stats_.connections = connections;
    return json_response(200, stats_json());
  }
  if (path == "/_emulator/config" && (get || post)) return admin_config(req);
  if (path == "/_emulator/faults" && (get || post || req.method == "DELETE")) return admin_faults(req);
  if (path == "/_emulator/device" && get) {
    nlohmann::json list = nlohmann::json::array();
    const auto now = std::chrono::steady_clock::now();
    static constexpr const char* kStatus[] = {"pending", "approved", "denied", "consumed"};
    for (const auto& [dc, d] : devices_) {
      list.push_back({{"user_code", d.user_code},
                      {"client_id", d.client_id},
                      {"status", now >= d.expires ? "expired" : kStatus[static_cast<int>(d.status)]},
                      {"polls", d.polls},
                      {"interval", d.interval.count()}});
    }
    return json_response(200, {{"device_codes", list}});
  }
  if (path == "/_emulator/cli-connect") return admin_cli_connect(req, {});
  if (starts_with(path, "/_emulator/cli-connect/"))
    return admin_cli_connect(req, path.substr(std::string_view("/_emulator/cli-connect/").size()));
  if (path == "/_emulator/projects") return admin_projects(req);
  if (path == "/_emulator/device/approve" && post) return admin_device(req, DeviceStatus::approved);
  if (path == "/_emulator/device/deny" && post) return admin_device(req, DeviceStatus::denied);
  if (path == "/_emulator/expire-all" && post) {
    const auto now = std::chrono::steady_clock::now();
    std::uint64_t n = 0;
    for (auto& [v, at] : access_) {
      if (at.expires > now) {
        at.expires = now;
        ++n;
      }
    }
    return json_response(200, {{"expired", n}});
  }
  if (path == "/_emulator/revoke-grants" && post) {
    std::uint64_t n = 0;
    for (auto& [id, g] : grants_) {
      if (!g.revoked) {
        revoke_grant(id);
        ++n;
      }
    }
    return json_response(200, {{"revoked", n}});
  }
  if (path == "/_emulator/tokens" && post) {
    nlohmann::json in = parse_object(req.body);
    if (!in.is_object() || !in.contains("client_id") || !in["client_id"].is_string())
      return error_response(400, "invalid_request", "the body must be {\"client_id\", \"scope\"?, \"email\"?}");
    const std::string scope = in.value("scope", std::string(kDefaultScope));
    const std::string email = in.value("email", config_.user_email);
    const std::string grant_id = new_grant(in["client_id"].get<std::string>(), scope, email, {});
    return json_response(200, token_body(issuer(req), grant_id, grants_.at(grant_id).refresh_token, scope));
  }
  return error_response(404, "not_found", "no such emulator endpoint or method: " + req.method + " " + path);
}

HttpResponse Platform::admin_config(const HttpRequest& req) {
  if (req.method == "GET") return json_response(200, config_json());
  nlohmann::json in = parse_object(req.body);
  if (!in.is_object()) return error_response(400, "invalid_request", "the body must be a JSON object");
  Config next = config_;  // validate everything before changing anything
  std::string error;
  for (const auto& [name, value] : in.items()) {
    long long n = 0;
    bool ok = true;
    if (name == "token_lifetime") {
      if ((ok = int_field(in, "token_lifetime", 1, kMaxSeconds, n, error))) next.token_lifetime = std::chrono::seconds(n);
    } else if (name == "refresh_token_lifetime") {
      if ((ok = int_field(in, "refresh_token_lifetime", 0, kMaxSeconds, n, error)))
        next.refresh_token_lifetime = std::chrono::seconds(n);
    } else if (name == "rotate") {
      ok = bool_field(in, "rotate", next.rotate, error);
    } else if (name == "auto_approve") {
      ok = bool_field(in, "auto_approve", next.auto_approve, error);
    } else if (name == "deny_authorize") {
      ok = bool_field(in, "deny_authorize", next.deny_authorize, error);
    } else if (name == "device_approve_after_polls") {
      if ((ok = int_field(in, "device_approve_after_polls", 0, 1000000, n, error)))
        next.device_approve_after_polls = static_cast<int>(n);
    } else if (name == "device_approve_after_ms") {
      if ((ok = int_field(in, "device_approve_after_ms", 0, kMaxSeconds * 1000, n, error)))
        next.device_approve_after = std::chrono::milliseconds(n);
    } else if (name == "device_interval") {
      if ((ok = int_field(in, "device_interval", 0, 3600, n, error))) next.device_interval = std::chrono::seconds(n);
    } else if (name == "device_code_lifetime") {
      if ((ok = int_field(in, "device_code_lifetime", 1, kMaxSeconds, n, error)))
        next.device_code_lifetime = std::chrono::seconds(n);
    } else if (name == "code_lifetime") {
      if ((ok = int_field(in, "code_lifetime", 1, kMaxSeconds, n, error))) next.code_lifetime = std::chrono::seconds(n);
    } else if (name == "cli_connect_interval") {
      if ((ok = int_field(in, "cli_connect_interval", 0, 3600, n, error))) next.cli_connect_interval = std::chrono::seconds(n);
    } else if (name == "cli_connect_lifetime") {
      if ((ok = int_field(in, "cli_connect_lifetime", 1, kMaxSeconds, n, error)))
        next.cli_connect_lifetime = std::chrono::seconds(n);
    } else if (name == "cli_connect_approve_after_polls") {
      if ((ok = int_field(in, "cli_connect_approve_after_polls", 0, 1000000, n, error)))
        next.cli_connect_approve_after_polls = static_cast<int>(n);
    } else if (name == "cli_connect_auto_approve") {
      ok = bool_field(in, "cli_connect_auto_approve", next.cli_connect_auto_approve, error);
    } else if (name == "cli_connect_deny") {
      ok = bool_field(in, "cli_connect_deny", next.cli_connect_deny, error);
    } else if (name == "cli_connect_spelling") {
      ok = enum_field(value, name, kStartSpellingNames, next.cli_connect_spelling, error);
    } else if (name == "cli_connect_expires_at") {
      ok = enum_field(value, name, kExpiresAtFormatNames, next.cli_connect_expires_at, error);
    } else if (name == "api_key_shape") {
      ok = enum_field(value, name, kKeyShapeNames, next.api_key_shape, error);
    } else if (name == "api_list_shape") {
      ok = enum_field(value, name, kListShapeNames, next.api_list_shape, error);
    } else if (name == "v1_key_ids") {
      ok = enum_field(value, name, kV1KeyIdsNames, next.v1_key_ids, error);
    } else if (name == "user_email") {
      ok = value.is_string() && !value.get<std::string>().empty() && value.get<std::string>().size() <= 254;
      if (ok) next.user_email = value.get<std::string>();
      else error = "user_email must be a non-empty string";
    } else {
      // A typo in a test's knob must fail loudly, not be ignored.
      ok = false;
      error = "unknown configuration field: " + name.substr(0, 64);
    }
    if (!ok) return error_response(400, "invalid_request", error);
  }
  config_ = next;
  return json_response(200, config_json());
}

HttpResponse Platform::admin_faults(const HttpRequest& req) {
  auto list = [&]() {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : faults_)
      out.push_back({{"kind", f.kind}, {"remaining", f.remaining}, {"path_prefix", f.path_prefix},
                     {"retry_after", f.retry_after}, {"delay_ms", f.delay_ms}});
    return json_response(200, {{"faults", out}});
  };
  if (req.method == "GET") return list();
  if (req.method == "DELETE") {
    faults_.clear();
    return list();
  }
  nlohmann::json in = parse_object(req.body);
  if (!in.is_object()) return error_response(400, "invalid_request", "the body must be a JSON object");
  Fault f;
  f.remaining = 1;
  std::string error;
  long long n = 0;
  for (const auto& [name, value] : in.items()) {
    bool ok = true;
    if (name == "count") {
      if ((ok = int_field(in, "count", 1, kMaxFaultCount, n, error))) f.remaining = static_cast<int>(n);
    } else if (name == "kind") {
      ok = value.is_string();
      if (ok) f.kind = value.get<std::string>();
    } else if (name == "retry_after") {
      if ((ok = int_field(in, "retry_after", 0, 86400, n, error))) f.retry_after = static_cast<int>(n);
    } else if (name == "delay_ms") {
      if ((ok = int_field(in, "delay_ms", 0, kMaxDelayMs, n, error))) f.delay_ms = static_cast<int>(n);
    } else if (name == "path_prefix") {
      ok = value.is_string() && value.get<std::string>().size() < 256;
      if (ok) f.path_prefix = value.get<std::string>();
      else error = "path_prefix must be a string";
    } else {
      ok = false;
      error = "unknown fault field: " + name.substr(0, 64);
    }
    if (!ok) return error_response(400, "invalid_request", error.empty() ? "bad field " + name.substr(0, 64) : error);
  }
  static const std::vector<std::string> kinds = {"500", "503", "429", "delay", "reset", "malformed", "invalid_grant"};
  if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end())
    return error_response(400, "invalid_request",
                          "kind must be one of 500, 503, 429, delay, reset, malformed, invalid_grant");
  if (f.kind == "delay" && !in.contains("delay_ms")) f.delay_ms = kDefaultDelayMs;
  if (f.kind == "invalid_grant" && !in.contains("path_prefix")) f.path_prefix = "/oauth/token";
  faults_.push_back(f);
  return list();
}

HttpResponse Platform::admin_device(const HttpRequest& req, DeviceStatus verdict) {
  const bool approve = verdict == DeviceStatus::approved;
  nlohmann::json in = parse_object(req.body);
  if (!in.is_object() || !in.contains("user_code") || !in["user_code"].is_string())
    return error_response(400, "invalid_request", "the body must be {\"user_code\": \"XXXX-XXXX\"}");
  DeviceCode* dc = find_user_code(in["user_code"].get<std::string>());
  if (!dc || std::chrono::steady_clock::now() >= dc->expires)
    return error_response(404, "not_found", "no pending device code has this user_code");
  dc->status = approve ? DeviceStatus::approved : DeviceStatus::denied;
  dc->email = in.value("email", config_.user_email);
  return json_response(200, {{"user_code", dc->user_code}, {"status", approve ? "approved" : "denied"}});
}

std::optional<Outcome> Platform::take_fault(const HttpRequest& req) {
  const std::string path = req.path();
  if (starts_with(path, "/_emulator/")) return std::nullopt;  // the knobs themselves never fail
  auto it = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) { return starts_with(path, f.path_prefix); });
  if (it == faults_.end()) return std::nullopt;
  const Fault f = *it;
  if (--it->remaining <= 0) faults_.erase(it);
  ++stats_.faults_injected;

  Outcome out;
  // The platform's own /api answers FastAPI-style errors, injected ones included.
  const bool fastapi = starts_with(path, "/api/");
  auto error_response = [&](int status, std::string_view error, std::string_view description) {
    return fastapi ? detail_response(status, description) : platform::error_response(status, error, description);
  };
  auto with_retry_after = [&](HttpResponse r) {
    if (f.retry_after >= 0) r.headers.emplace_back("Retry-After", std::to_string(f.retry_after));
    return r;
  };
  if (f.kind == "reset") {
    out.action = Outcome::Action::reset;
  } else if (f.kind == "delay") {
    out.action = Outcome::Action::delay_then_handle;
    out.delay = std::chrono::milliseconds(f.delay_ms);
  } else if (f.kind == "malformed") {
    out.response = HttpResponse{200, "application/json", {{"Cache-Control", "no-store"}}, "{\"access_token\": <<not json"};
  } else if (f.kind == "invalid_grant") {
    out.response = error_response(400, "invalid_grant", "injected fault: invalid_grant");
  } else if (f.kind == "429") {
    out.response = with_retry_after(error_response(429, "rate_limited", "injected fault: too many requests"));
  } else if (f.kind == "503") {
    out.response = with_retry_after(error_response(503, "temporarily_unavailable", "injected fault: service unavailable"));
  } else {
    out.response = with_retry_after(error_response(500, "server_error", "injected fault: internal server error"));
  }
  return out;
}

}  // namespace platform
