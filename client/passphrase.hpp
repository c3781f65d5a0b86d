// Reading a passphrase for `agent lock` / `agent unlock`: from the terminal without echo, or from a
// descriptor the caller names (--passphrase-fd). Never from argv or the environment.
#pragma once

#include <string>
#include <string_view>

#include "client/outcome.hpp"
#include "proto/mask.hpp"

namespace client {

// Longest passphrase read (bytes); the agent refuses longer ones too.
inline constexpr std::size_t kMaxPassphrase = 1024;

// A passphrase in memory: capacity reserved up front so appending never leaves a copy in freed heap,
// wiped (explicit_bzero) on destruction.
class Passphrase {
 public:
  Passphrase();
  ~Passphrase();
  Passphrase(Passphrase&& other) noexcept;
  Passphrase& operator=(Passphrase&&) = delete;
  Passphrase(const Passphrase&) = delete;
  Passphrase& operator=(const Passphrase&) = delete;

  std::string& text() { return text_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Reads one line (up to a newline or end of file, newline removed) from `fd`. Empty, over-long or
// unreadable input fails with exit 1.
Outcome<Passphrase> read_passphrase_fd(int fd);

// Prompts on /dev/tty and reads one line with echo off. Only when stdin is a terminal (CONTRACT.md:
// no prompt otherwise; that case fails with exit 1 naming --passphrase-fd). The terminal's settings
// are restored on every path: normal return, error, and a signal (INT, TERM, HUP, QUIT; TSTP stops
// with echo restored and prompts again on resume), after which the signal takes its usual effect.
Outcome<Passphrase> read_passphrase_tty(std::string_view prompt);

}  // namespace client
