#include "client/output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/text.hpp"

namespace client {
namespace {

constexpr std::string_view kPrefix = "fluxloop: ";

void write_all(std::FILE* stream, std::string_view text) { std::fwrite(text.data(), 1, text.size(), stream); }

}  // namespace

void print_value(std::string_view text) {
  write_all(stdout, text);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
}

void print_json(const nlohmann::json& document) {
  // `replace`: a stray invalid UTF-8 byte from a server must not turn into an exception mid-output.
  print_value(document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void note(std::string_view message) {
  std::string line;
  line.reserve(kPrefix.size() + message.size() + 1);
  // Messages quote what the agent relayed from servers (error descriptions, device codes): whatever
  // their origin, no escape sequence or other control character reaches the terminal.
  line.append(kPrefix).append(proto::printable(message, proto::LineBreaks::keep));
  if (line.back() != '\n') line += '\n';
  write_all(stderr, line);  // one write: lines of concurrent clients do not interleave
}

int report(const Failure& failure) {
  note(failure.message.empty() ? "failed" : failure.message);
  return failure.exit_code;
}

bool finish_output() {
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return true;
  note(std::string("cannot write to standard output (") + std::strerror(errno) + ")");
  return false;
}

}  // namespace client
