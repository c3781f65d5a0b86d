// CLI connect: the FluxLoop platform's own device login under /api/cli-connect/ (start, complete,
// refresh), its human approval page at /cli-connect, and its /_emulator/cli-connect knobs. Logins
// become grants of client kCliConnectClient, so tokens share the OAuth tables (expiry, revocation).
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
// A poll arriving this much earlier than `interval` is still not "too fast": the client measures from
// its own clock, we measure arrival to arrival (as for RFC 8628 polls in device.cpp).
constexpr std::chrono::milliseconds kPollTolerance{20};
constexpr std::size_t kMaxField = 4096;
// Logins that ended this long ago are forgotten, so a storm of starts cannot grow memory forever.
constexpr std::chrono::minutes kForgetAfter{10};

std::string normalize_user_code(std::string_view code) {
  std::string out;
  for (char c : code)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The JSON object body of a request, or a FastAPI 422. An empty body counts as {}.
std::variant<nlohmann::json, HttpResponse> json_object_body(const HttpRequest& req) {
  if (req.body.empty()) return nlohmann::json::object();
  nlohmann::json in = nlohmann::json::parse(req.body, nullptr, false);
  if (!in.is_object()) return validation_error("body", "__root__", "the body must be a JSON object", "type_error.dict");
  return in;
}

// The non-empty string field `name` of `in`, or a FastAPI 422 naming it.
std::variant<std::string, HttpResponse> string_field(const nlohmann::json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end() || !it->is_string() || it->get<std::string>().empty())
    return validation_error("body", name, "field required");
  if (it->get<std::string>().size() > kMaxField) return validation_error("body", name, "too long", "value_error");
  return it->get<std::string>();
}

// Python's datetime.isoformat() of an aware UTC time: "2026-12-04T19:00:00.123456+00:00".
std::string python_isoformat(SystemTime t) {
  const std::string z = iso8601(t);  // "2026-12-04T19:00:00Z"
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(micros));
  return z.substr(0, z.size() - 1) + frac + "+00:00";
}

const char* status_name(int status) {
  static constexpr const char* kNames[] = {"pending", "approved", "denied", "consumed"};
  return kNames[status];
}
}  // namespace

HttpResponse Platform::cli_connect(const HttpRequest& req) {
  const std::string path = req.path();
  if (req.method != "POST") {
    HttpResponse r = detail_response(405, "Method Not Allowed");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (path == "/api/cli-connect/start") return cli_connect_start(req);
  if (path == "/api/cli-connect/complete") return cli_connect_complete(req);
  if (path == "/api/cli-connect/refresh") return cli_connect_refresh(req);
  return detail_response(404, "Not Found");
}

HttpResponse Platform::cli_connect_start(const HttpRequest& req) {
  ++stats_.cli_connect_starts;
  auto in = json_object_body(req);
  if (auto* err = std::get_if<HttpResponse>(&in)) return *err;
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(cli_logins_, [&](const auto& kv) { return kv.second.expires + kForgetAfter < now; });

  CliLogin login;
  do login.user_code = random_user_code();
  while (std::any_of(cli_logins_.begin(), cli_logins_.end(),
                     [&](const auto& kv) { return kv.second.user_code == login.user_code; }));
  login.issued = now;
  login.expires = now + config_.cli_connect_lifetime;
  login.interval = config_.cli_connect_interval;
  const std::string device_code = random_hex(16);
  cli_logins_[device_code] = login;

  nlohmann::json out = {{"device_code", device_code},
                        {"user_code", login.user_code},
                        {"verification_url", issuer(req) + "/cli-connect?user_code=" + login.user_code}};
  const bool sec = config_.cli_connect_spelling == StartSpelling::sec;
  out[sec ? "expires_in_sec" : "expires_in"] = config_.cli_connect_lifetime.count();
  out[sec ? "interval_sec" : "interval"] = config_.cli_connect_interval.count();
  return json_response(200, out);
}

HttpResponse Platform::cli_connect_complete(const HttpRequest& req) {
  auto in = json_object_body(req);
  if (auto* err = std::get_if<HttpResponse>(&in)) return *err;
  auto code = string_field(std::get<nlohmann::json>(in), "device_code");
  if (auto* err = std::get_if<HttpResponse>(&code)) return *err;
  auto it = cli_logins_.find(std::get<std::string>(code));
  if (it == cli_logins_.end() || it->second.status == DeviceStatus::consumed)
    return detail_response(404, "Unknown or already used device code");
  CliLogin& login = it->second;
  ++stats_.cli_connect_polls;
  const auto now = std::chrono::steady_clock::now();
  // Too fast is recorded, not refused: the platform CLI has no slow_down handling (it would crash on
  // a non-2xx poll), so the real server can only be answering the status (docs/platform-api.md).
  if (login.last_poll && now - *login.last_poll + kPollTolerance < login.interval) {
    ++login.too_fast_polls;
    ++stats_.too_fast_polls;
  }
  login.last_poll = now;
  if (login.status == DeviceStatus::denied) return json_response(200, {{"status", "denied"}});
  if (login.status == DeviceStatus::pending && now >= login.expires) return json_response(200, {{"status", "expired"}});
  ++login.polls;
  if (login.status == DeviceStatus::pending && config_.cli_connect_auto_approve &&
      login.polls > config_.cli_connect_approve_after_polls) {
    login.status = config_.cli_connect_deny ? DeviceStatus::denied : DeviceStatus::approved;
    login.email = config_.user_email;
  }
  if (login.status == DeviceStatus::pending) return json_response(200, {{"status", "pending"}});
  if (login.status == DeviceStatus::denied) return json_response(200, {{"status", "denied"}});

  login.status = DeviceStatus::consumed;
  const std::string grant_id = new_grant(std::string(kCliConnectClient), "", login.email, {});
  return json_response(200, {{"status", "approved"}, {"credential", cli_credential(grant_id, grants_.at(grant_id).refresh_token)}});
}

nlohmann::json Platform::cli_credential(const std::string& grant_id, const std::string& refresh_token) {
  const Grant& grant = grants_.at(grant_id);
  nlohmann::json c = {{"access_token", new_access_token(grant_id, grant.scope)},
                      {"refresh_token", refresh_token},
                      {"user_id", uuid_from("user:" + grant.email)},
                      {"user_email", grant.email}};
  const SystemTime expires = std::chrono::system_clock::now() + config_.token_lifetime;
  if (config_.cli_connect_expires_at == ExpiresAtFormat::z) c["expires_at"] = iso8601(expires);
  if (config_.cli_connect_expires_at == ExpiresAtFormat::python) c["expires_at"] = python_isoformat(expires);
  return c;
}

HttpResponse Platform::cli_connect_refresh(const HttpRequest& req) {
  ++stats_.cli_connect_refreshes;
  auto in = json_object_body(req);
  if (auto* err = std::get_if<HttpResponse>(&in)) return *err;
  auto presented = string_field(std::get<nlohmann::json>(in), "refresh_token");
  if (auto* err = std::get_if<HttpResponse>(&presented)) return *err;
  auto it = refresh_.find(std::get<std::string>(presented));
  if (it == refresh_.end() || grants_.at(it->second.grant_id).client_id != kCliConnectClient)
    return detail_response(401, "Invalid refresh token");
  RefreshToken& rt = it->second;
  Grant& grant = grants_.at(rt.grant_id);
  if (grant.revoked) return detail_response(401, "This login was revoked; log in again");
  if (rt.expires && std::chrono::steady_clock::now() >= *rt.expires)
    return detail_response(401, "Refresh token expired; log in again");
  if (rt.rotated) {
    // The real platform revokes the whole login when a rotated refresh token comes back: either two
    // refreshers raced (the platform CLI has no lock) or the token was stolen.
    ++stats_.refresh_token_reuse;
    ++stats_.cli_connect_refresh_token_reuse;
    revoke_grant(rt.grant_id);
    return detail_response(401, "Refresh token already used; this login is revoked");
  }
  const std::string grant_id = rt.grant_id;
  rt.rotated = true;
  grant.refresh_token = new_refresh_token(grant_id);
  ++stats_.cli_connect_refreshes_succeeded;
  return json_response(200, {{"credential", cli_credential(grant_id, grants_.at(grant_id).refresh_token)}});
}

HttpResponse Platform::cli_connect_page(const HttpRequest& req) {
  // The verification_url: a minimal human page for demos. No CSRF protection: a loopback test server.
  if (req.method == "GET") {
    auto params = parse_form(req.query());
    std::string code;
    if (params && params->count("user_code")) code = params->at("user_code");
    return html_response(200, "Connect the FluxLoop CLI",
                         "<form method=\"post\" action=\"/cli-connect\"><p>Code: <input name=\"user_code\" value=\"" +
                             html_escape(code.substr(0, 32)) +
                             "\"></p><p><button name=\"action\" value=\"approve\">Approve</button> "
                             "<button name=\"action\" value=\"deny\">Deny</button></p></form>");
  }
  auto form = parse_form(req.body);
  if (!form) return html_response(400, "Bad request", "<p>Malformed form.</p>");
  const std::string wanted = normalize_user_code(form->count("user_code") ? form->at("user_code") : "");
  const auto now = std::chrono::steady_clock::now();
  for (auto& [dc, login] : cli_logins_) {
    if (wanted.empty() || normalize_user_code(login.user_code) != wanted) continue;
    if (login.status != DeviceStatus::pending || now >= login.expires) break;
    const bool deny = form->count("action") && form->at("action") == "deny";
    login.status = deny ? DeviceStatus::denied : DeviceStatus::approved;
    login.email = config_.user_email;
    return html_response(200, deny ? "Denied" : "Approved",
                         deny ? "<p>The CLI was not connected.</p>"
                              : "<p>The CLI is connected as " + html_escape(login.email) + ". You can close this tab.</p>");
  }
  return html_response(404, "Unknown code", "<p>No pending login has this code (typo, expired or used).</p>");
}

void Platform::platform_stats_json(nlohmann::json& out) const {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t pending = 0;
  for (const auto& [dc, l] : cli_logins_)
    if (l.status == DeviceStatus::pending && now < l.expires) ++pending;
  const Stats& s = stats_;
  out["cli_connect_starts"] = s.cli_connect_starts;
  out["cli_connect_polls"] = s.cli_connect_polls;
  out["too_fast_polls"] = s.too_fast_polls;
  out["cli_connect_refreshes"] = s.cli_connect_refreshes;
  out["cli_connect_refreshes_succeeded"] = s.cli_connect_refreshes_succeeded;
  out["cli_connect_refresh_token_reuse"] = s.cli_connect_refresh_token_reuse;
  out["expired_token_used"] = s.expired_token_used;
  out["platform_api_requests"] = s.platform_api_requests;
  out["pending_cli_connect_logins"] = pending;
}

HttpResponse Platform::admin_cli_connect(const HttpRequest& req, const std::string& action) {
  const auto now = std::chrono::steady_clock::now();
  if (action.empty()) {
    if (req.method != "GET") return error_response(405, "invalid_request", "GET only");
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [dc, l] : cli_logins_) {
      const bool expired = l.status == DeviceStatus::pending && now >= l.expires;
      list.push_back({{"user_code", l.user_code},
                      {"status", expired ? "expired" : status_name(static_cast<int>(l.status))},
                      {"polls", l.polls},
                      {"too_fast_polls", l.too_fast_polls},
                      {"interval", l.interval.count()}});
    }
    return json_response(200, {{"logins", list}});
  }
  if (req.method != "POST") return error_response(405, "invalid_request", "POST only");
  nlohmann::json in = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body, nullptr, false);
  if (!in.is_object()) return error_response(400, "invalid_request", "the body must be a JSON object");
  for (const auto& [name, value] : in.items()) {
    if ((name != "user_code" && name != "email") || !value.is_string())
      return error_response(400, "invalid_request", "fields: \"user_code\"? and \"email\"? (strings)");
  }
  const std::string email = in.value("email", config_.user_email);
  if (action == "tokens") {
    const std::string grant_id = new_grant(std::string(kCliConnectClient), "", email, {});
    return json_response(200, cli_credential(grant_id, grants_.at(grant_id).refresh_token));
  }
  if (action != "approve" && action != "deny" && action != "expire")
    return error_response(404, "not_found", "no such emulator endpoint: cli-connect/" + action.substr(0, 64));
  const std::string wanted = normalize_user_code(in.value("user_code", std::string{}));
  nlohmann::json matched = nlohmann::json::array();
  for (auto& [dc, login] : cli_logins_) {
    if (login.status != DeviceStatus::pending || now >= login.expires) continue;
    if (!wanted.empty() && normalize_user_code(login.user_code) != wanted) continue;
    if (action == "expire") {
      login.expires = now;
    } else {
      login.status = action == "approve" ? DeviceStatus::approved : DeviceStatus::denied;
      login.email = email;
    }
    matched.push_back(login.user_code);
  }
  if (matched.empty()) return error_response(404, "not_found", "no pending CLI-connect login matches");
  return json_response(200, {{"user_codes", matched}});
}

}  // namespace platform
