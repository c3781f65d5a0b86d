// The login requests of the agent protocol (docs/protocol.md "login_start", "login_wait"), included by
// proto/messages.hpp; JSON conversion in proto/messages.cpp. See proto/messages.hpp for the rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "proto/enums.hpp"
#include "proto/fields.hpp"

namespace proto {

// Starts a login; the agent runs the redirect listener and every token exchange, the client only
// shows and opens. Browser: `url` is the authorization URL to open. Device and CLI connect: show
// `user_code` and `verification_uri` (`verification_uri_complete` embeds the code, for a QR code).
// The login goes on in the agent whether or not anyone calls login_wait (`auth login --no-wait`).
struct LoginStartReply {
  std::string login_id;  // pass to login_wait
  std::string profile;
  ProfileKind kind = ProfileKind::oidc;
  LoginMethod method = LoginMethod::browser;
  std::string url;
  std::string verification_uri;
  std::string verification_uri_complete;
  std::string user_code;
  std::string qr_code;          // device: verification_uri_complete as a terminal QR code (text)
  std::int64_t expires_in = 0;  // seconds the user has to finish

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("login_id", m.login_id);
    v.always("profile", m.profile);
    v.always("kind", m.kind);
    v.always("method", m.method);
    v.optional("url", m.url);
    v.optional("verification_uri", m.verification_uri);
    v.optional("verification_uri_complete", m.verification_uri_complete);
    v.optional("user_code", m.user_code);
    v.optional("qr_code", m.qr_code);
    v.always("expires_in", m.expires_in);
  }
  bool operator==(const LoginStartReply&) const = default;
};
struct LoginStart {
  static constexpr std::string_view kOp = "login_start";
  using Reply = LoginStartReply;
  std::string profile;
  bool device = false;  // oidc: the device flow instead of the browser (fluxloop: always its own)
  // With no profile configured at all, the agent creates a fluxloop profile (the resolved name,
  // `production` by default) at this endpoint (the client's FLUXLOOP_API_ENDPOINT and aliases);
  // empty: the platform default. Ignored once any profile exists.
  std::string api_endpoint;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.optional("profile", m.profile);
    v.optional("device", m.device);
    v.optional("api_endpoint", m.api_endpoint);
  }
  bool operator==(const LoginStart&) const = default;
};

struct LoginWaitReply {
  std::string profile;
  std::string user_email;
  std::string user_id;
  std::string expires_at;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.always("profile", m.profile);
    v.optional("user_email", m.user_email);
    v.optional("user_id", m.user_id);
    v.optional("expires_at", m.expires_at);
  }
  bool operator==(const LoginWaitReply&) const = default;
};
// Waits until the login finishes (or fails or expires). May take minutes.
struct LoginWait {
  static constexpr std::string_view kOp = "login_wait";
  using Reply = LoginWaitReply;
  std::string login_id;

  template <typename Self, typename V>
  static void fields(Self& m, V& v) {
    v.required("login_id", m.login_id);
  }
  bool operator==(const LoginWait&) const = default;
};

FLUXLOOP_PROTO_MESSAGE(LoginStartReply)
FLUXLOOP_PROTO_MESSAGE(LoginStart)
FLUXLOOP_PROTO_MESSAGE(LoginWaitReply)
FLUXLOOP_PROTO_MESSAGE(LoginWait)

}  // namespace proto
