// Where output goes (CONTRACT.md "Commands"): the one value a command exists to print goes to stdout;
// messages, warnings and errors go to stderr, prefixed "fluxloop: ".
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "client/outcome.hpp"

namespace client {

// Writes `text` to stdout, adding a newline when it has none.
void print_value(std::string_view text);
// Writes one JSON document (indented, newline-terminated) to stdout.
void print_json(const nlohmann::json& document);
// Writes a protocol message (an agent's reply) as one JSON document: the `--json` form of a command.
template <typename Message>
void print_message_json(const Message& message) {
  nlohmann::json document = nlohmann::json::object();
  write(document, message);  // proto::write, found by argument-dependent lookup
  print_json(document);
}
// Writes "fluxloop: <message>\n" to stderr, control characters removed (proto::printable, lines kept).
void note(std::string_view message);
// Reports `failure` on stderr and returns its exit code.
int report(const Failure& failure);
// Flushes stdout; false (after reporting on stderr) when the output could not be written,
// so a truncated token is never mistaken for success.
bool finish_output();

}  // namespace client
