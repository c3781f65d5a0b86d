// Masking secrets for display: the only form in which a secret may appear in logs, status or errors.
#pragma once

#include <string>
#include <string_view>

namespace proto {

// "flx_abcdefghijklmnopa1b2" -> "flx_…a1b2". Secrets shorter than 16 bytes reveal nothing ("…").
// An empty input gives an empty output.
std::string mask_secret(std::string_view secret);

// Overwrites a string's whole capacity (explicit_bzero: not optimised away) and empties it, so a
// buffer that held a secret (a token, a passphrase, a frame carrying either) frees no copy of it.
void wipe(std::string& secret) noexcept;

// A string that wipes itself when destroyed: a secret's copy owned by a buffer, a worker's job or a
// coroutine frame, wiped however its owner lets go. Not copyable (a copy would escape the wipe).
struct SecretString {
  std::string text;
  SecretString() = default;
  explicit SecretString(std::string value) : text(std::move(value)) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { wipe(text); }
};

// Wipes a string someone else owns when the scope ends, whichever way it ends (a request's secret
// field, a body handed to a library).
struct WipeOnExit {
  std::string& text;
  ~WipeOnExit() { wipe(text); }
};

}  // namespace proto
