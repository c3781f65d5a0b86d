// Device authorization grant (RFC 8628): the device authorization endpoint, polling the token
// endpoint, and the human verification page at /device.
#include <cctype>

#include "tests/platform/platform.hpp"
#include "tests/platform/util.hpp"

namespace platform {

namespace {
constexpr std::string_view kDefaultScope = "openid email offline_access";
constexpr std::size_t kMaxParam = 2048;
// A poll arriving this much earlier than `interval` is still accepted: the client measures from its
// own clock, we measure arrival to arrival. Anything earlier is a real "too fast".
constexpr std::chrono::milliseconds kPollTolerance{20};
// RFC 8628 §3.5: on slow_down the interval grows by 5 seconds for this and all later polls.
constexpr std::chrono::seconds kSlowDownStep{5};

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string{} : it->second;
}

std::string normalize_user_code(std::string_view code) {
  std::string out;
  for (char c : code)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

Platform::DeviceCode* Platform::find_user_code(const std::string& user_code) {
  const std::string wanted = normalize_user_code(user_code);
  if (wanted.empty()) return nullptr;
  for (auto& [device_code, dc] : devices_)
    if (dc.status == DeviceStatus::pending && normalize_user_code(dc.user_code) == wanted) return &dc;
  return nullptr;
}

HttpResponse Platform::device_authorization(const HttpRequest& req) {
  ++stats_.device_authorizations;
  auto form = parse_form(req.body);
  if (!form) return token_error("invalid_request", "malformed form body or repeated parameter");
  const std::string client_id = get(*form, "client_id");
  if (client_id.empty() || client_id.size() > kMaxParam)
    return token_error("invalid_client", "client_id is required (public client, no secret)", 401);
  std::string scope = get(*form, "scope");
  if (scope.size() > kMaxParam) return token_error("invalid_scope", "scope too long");
  if (scope.empty()) scope = kDefaultScope;

  const auto now = std::chrono::steady_clock::now();
  // Forget device codes that expired long ago so a polling storm cannot grow memory forever.
  std::erase_if(devices_, [&](const auto& kv) { return kv.second.expires + std::chrono::minutes(10) < now; });
  std::string user_code;
  do user_code = random_user_code();
  while (find_user_code(user_code));
  const std::string device_code = random_hex(16);
  DeviceCode dc;
  dc.client_id = client_id;
  dc.scope = scope;
  dc.user_code = user_code;
  dc.issued = now;
  dc.expires = now + config_.device_code_lifetime;
  dc.interval = config_.device_interval;
  devices_[device_code] = dc;

  const std::string iss = issuer(req);
  return json_response(200, {{"device_code", device_code},
                             {"user_code", user_code},
                             {"verification_uri", iss + "/device"},
                             {"verification_uri_complete", iss + "/device?user_code=" + user_code},
                             {"expires_in", config_.device_code_lifetime.count()},
                             {"interval", config_.device_interval.count()}});
}

HttpResponse Platform::token_device(const HttpRequest& req, const std::map<std::string, std::string>& form) {
  const std::string device_code = get(form, "device_code"), client_id = get(form, "client_id");
  if (device_code.empty()) return token_error("invalid_request", "device_code is required");
  auto it = devices_.find(device_code);
  if (it == devices_.end()) return token_error("invalid_grant", "unknown device_code");
  DeviceCode& dc = it->second;
  if (dc.client_id != client_id) return token_error("invalid_grant", "the device_code was issued to another client_id");
  ++stats_.device_polls;
  const auto now = std::chrono::steady_clock::now();
  if (now >= dc.expires) return token_error("expired_token", "the device code expired; start the login again");
  if (dc.status == DeviceStatus::consumed) return token_error("invalid_grant", "the device code was already used");
  if (dc.status == DeviceStatus::denied) return token_error("access_denied", "the user denied the request");
  if (dc.last_poll && now - *dc.last_poll + kPollTolerance < dc.interval) {
    dc.last_poll = now;
    dc.interval += kSlowDownStep;
    ++stats_.device_slow_downs;
    return token_error("slow_down", "polling too fast; the interval is now " + std::to_string(dc.interval.count()) + " s");
  }
  dc.last_poll = now;
  ++dc.polls;
  if (dc.status == DeviceStatus::pending && config_.auto_approve && dc.polls > config_.device_approve_after_polls &&
      now - dc.issued >= config_.device_approve_after) {
    dc.status = DeviceStatus::approved;
    dc.email = config_.user_email;
  }
  if (dc.status == DeviceStatus::pending)
    return token_error("authorization_pending", "waiting for the user to approve the device code");

  dc.status = DeviceStatus::consumed;
  const std::string grant_id = new_grant(dc.client_id, dc.scope, dc.email, {});
  return json_response(200, token_body(issuer(req), grant_id, grants_.at(grant_id).refresh_token, dc.scope));
}

HttpResponse Platform::device_page(const HttpRequest& req) {
  // A minimal human page for the README demo. No CSRF protection: this is a loopback test server.
  if (req.method == "GET") {
    auto params = parse_form(req.query());
    const std::string code = params ? get(*params, "user_code") : std::string{};
    return html_response(200, "Activate a device",
                         "<form method=\"post\" action=\"/device\"><p>Code: <input name=\"user_code\" value=\"" +
                             html_escape(code.substr(0, 32)) +
                             "\"></p><p><button name=\"action\" value=\"approve\">Approve</button> "
                             "<button name=\"action\" value=\"deny\">Deny</button></p></form>");
  }
  auto form = parse_form(req.body);
  if (!form) return html_response(400, "Bad request", "<p>Malformed form.</p>");
  DeviceCode* dc = find_user_code(get(*form, "user_code"));
  if (!dc) return html_response(404, "Unknown code", "<p>No pending login has this code (typo, expired or used).</p>");
  if (get(*form, "action") == "deny") {
    dc->status = DeviceStatus::denied;
    return html_response(200, "Denied", "<p>The device was not signed in.</p>");
  }
  dc->status = DeviceStatus::approved;
  dc->email = config_.user_email;
  return html_response(200, "Approved", "<p>The device is signed in as " + html_escape(dc->email) +
                                            ". You can close this tab.</p>");
}

}  // namespace platform
