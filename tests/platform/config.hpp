// Runtime configuration of the platform emulator (plain values; no JSON, Asio or Beast).
#pragma once

#include <chrono>
#include <string>

namespace platform {

// Runtime behaviour; every field can be changed with POST /_emulator/config.
struct Config {
  std::chrono::seconds token_lifetime{3600};         // access token lifetime (expires_in)
  std::chrono::seconds refresh_token_lifetime{0};    // 0: refresh tokens never expire
  bool rotate = true;                                // refresh-token rotation with reuse detection
  bool auto_approve = true;                          // browser and device flows approve themselves
  bool deny_authorize = false;                       // /oauth/authorize redirects with error=access_denied
  int device_approve_after_polls = 1;                // auto-approve once this many polls were answered
  std::chrono::milliseconds device_approve_after{0}; // ...and this long after the device code was issued
  std::chrono::seconds device_interval{1};           // "interval" of device authorization responses
  std::chrono::seconds device_code_lifetime{600};
  std::chrono::seconds code_lifetime{60};            // authorization codes
  std::string user_email = "user@example.com";       // the user every new grant belongs to
  std::string default_authority = "127.0.0.1";       // host[:port] used when the Host header is unusable
};

}  // namespace platform
