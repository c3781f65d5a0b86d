// Command line of fluxloop-platform (plain C++; parsed before any networking starts).
#pragma once

#include <string>
#include <variant>

#include "tests/platform/config.hpp"

namespace platform {

struct Options {
  std::string cert, key;          // PEM server certificate chain and private key
  std::string host = "127.0.0.1";  // listening address (an IP literal)
  unsigned short port = 0;         // 0: pick a free port
  std::string port_file;           // written atomically with the port once listening
  bool quiet = false;              // no per-request log lines on stderr
  Config config;
};

// Parses argv. Returns the options, or the exit code to leave with after printing help (0) or a
// usage error (2) on stderr.
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace platform
