// Shell completion: the command tree as plain data, and the bash, zsh and fish scripts made from it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace client {

// What a word after an option, or a positional argument, completes to.
enum class ValueKind { flag, any, profile, file, choice };

struct OptionSpec {
  std::string name;  // "--profile", "-h"
  std::string description;
  ValueKind value = ValueKind::flag;  // flag: takes no value
  std::vector<std::string> choices;  // for ValueKind::choice
};
struct ArgSpec {
  std::string name;  // "NAME", "FILE"
  ValueKind value = ValueKind::any;
  std::vector<std::string> choices;
};
struct SubcommandSpec {
  std::string name;
  std::string description;
};
// One command or group: its path ("" for the root, "auth token"), what follows it, and whether
// help hides it (hidden commands complete their own arguments but are not offered).
struct CommandSpec {
  std::string path;
  std::string description;
  bool hidden = false;
  std::vector<SubcommandSpec> subcommands;  // visible ones only
  std::vector<OptionSpec> options;
  std::vector<ArgSpec> args;  // positionals, in order
};

enum class Shell { bash, zsh, fish };

// Walks a fully built CLI11 tree (root first, then depth first) into plain data. Value kinds come
// from names: --profile and `profile remove NAME` complete profile names, FILE completes files, an
// IsMember check completes its members.
std::vector<CommandSpec> describe_commands(CLI::App& root);

// The completion script for `shell`, sourced by that shell; profile names come from running
// `fluxloop profile list` (without autostarting an agent) at completion time.
std::string completion_script(const std::vector<CommandSpec>& commands, Shell shell);

// "bash" -> Shell::bash; nothing for a shell we have no script for.
std::optional<Shell> parse_shell(std::string_view name);

}  // namespace client
