#include "tests/platform/platform.hpp"

#include <exception>

#include "tests/platform/util.hpp"

namespace platform {

namespace {
constexpr std::size_t kMaxHostHeader = 255;

bool host_header_ok(const std::string& host) {
  // The issuer is built from Host (like oidc-provider); refuse anything that could smuggle a path,
  // credentials or markup into the URLs we hand out.
  if (host.empty() || host.size() > kMaxHostHeader) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

Platform::Platform(Config config) : config_(std::move(config)) {
  new_platform_project("Demo project", {});  // so `projects list` of the platform CLI shows something
}

std::string Platform::issuer(const HttpRequest& req) const {
  std::string host = req.header("host");
  return "https://" + (host_header_ok(host) ? host : config_.default_authority);
}

Outcome Platform::handle(const HttpRequest& req) {
  ++stats_.requests;
  if (auto fault = take_fault(req)) return *fault;
  Outcome out;
  out.response = handle_without_faults(req);
  return out;
}

HttpResponse Platform::handle_without_faults(const HttpRequest& req) {
  try {
    return dispatch(req);
  } catch (const nlohmann::json::exception&) {
    // Type mismatches in client JSON ({"count":"x"}) are the client's error, not ours.
    if (starts_with(req.path(), "/api/"))
      return validation_error("body", "__root__", "a field has the wrong type", "type_error");
    return error_response(400, "invalid_request", "malformed request: a field has the wrong type");
  } catch (const std::exception& e) {
    return error_response(500, "server_error", std::string("emulator error: ") + e.what());
  }
}

HttpResponse Platform::dispatch(const HttpRequest& req) {
  const std::string path = req.path();
  auto only = [&](std::initializer_list<std::string_view> methods) -> std::optional<HttpResponse> {
    for (auto m : methods)
      if (req.method == m) return std::nullopt;
    HttpResponse r = error_response(405, "invalid_request", "method " + req.method + " not allowed on " + path);
    std::string allow;
    for (auto m : methods) allow += (allow.empty() ? "" : ", ") + std::string(m);
    r.headers.emplace_back("Allow", allow);
    return r;
  };

  if (starts_with(path, "/_emulator/")) return admin(req);
  if (path == "/.well-known/openid-configuration" || path == "/.well-known/oauth-authorization-server") {
    if (auto r = only({"GET"})) return *r;
    return discovery(req);
  }
  if (path == "/oauth/authorize") {
    if (auto r = only({"GET"})) return *r;
    return authorize(req);
  }
  if (path == "/oauth/token") {
    if (auto r = only({"POST"})) return *r;
    return token(req);
  }
  if (path == "/oauth/device/code") {
    if (auto r = only({"POST"})) return *r;
    return device_authorization(req);
  }
  if (path == "/oauth/revoke") {
    if (auto r = only({"POST"})) return *r;
    return revoke(req);
  }
  if (path == "/oauth/userinfo") {
    if (auto r = only({"GET", "POST"})) return *r;
    return userinfo(req);
  }
  if (path == "/oauth/jwks") {
    if (auto r = only({"GET"})) return *r;
    // HS256 ID tokens use a shared test key (docs/platform-api.md), so there is no public key to publish.
    return json_response(200, {{"keys", nlohmann::json::array()}});
  }
  if (path == "/device") {
    if (auto r = only({"GET", "POST"})) return *r;
    return device_page(req);
  }
  if (path == "/healthz") return json_response(200, {{"status", "ok"}});
  if (path == "/v1" || starts_with(path, "/v1/")) return api(req);
  if (path == "/api" || starts_with(path, "/api/")) return platform_api(req);
  if (path == "/cli-connect") {
    if (auto r = only({"GET", "POST"})) return *r;
    return cli_connect_page(req);
  }
  if (path == "/") {
    return html_response(200, "FluxLoop platform emulator",
                         "<p>A test server. See docs/platform-api.md; discovery is at "
                         "<code>/.well-known/openid-configuration</code>.</p>");
  }
  return error_response(404, "not_found", "no such endpoint: " + path);
}

}  // namespace platform
