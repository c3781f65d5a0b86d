#include "client/completion.hpp"

#include <functional>
#include <utility>

#include <CLI/CLI.hpp>

namespace client {
namespace {

// Options and arguments whose values name a profile that must already exist. (`profile add NAME`
// and `apikeys create --store PROFILE` name new profiles: nothing to offer.)
constexpr std::string_view kProfileOptions[] = {"--profile"};
constexpr std::pair<std::string_view, std::string_view> kProfileArgs[] = {{"profile remove", "NAME"}};
constexpr std::string_view kFileArgs[] = {"FILE"};

// CLI11 describes an IsMember check as "{a,b,c}": its members, or nothing for any other check.
std::vector<std::string> members_of(CLI::Option& option) {
  std::string description;
  try {
    description = option.get_validator(0)->get_description();
  } catch (const CLI::OptionNotFound&) {
    return {};
  }
  if (description.size() < 2 || description.front() != '{' || description.back() != '}') return {};
  std::vector<std::string> members;
  std::string current;
  for (char c : std::string_view(description).substr(1, description.size() - 2)) {
    if (c == ',') {
      members.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  members.push_back(std::move(current));
  return members;
}

template <typename Range, typename T>
bool contains(const Range& range, const T& value) {
  for (const auto& item : range) {
    if (item == value) return true;
  }
  return false;
}

ValueKind option_kind(CLI::Option& option, std::string_view name, const std::vector<std::string>& members) {
  if (option.get_expected_max() == 0) return ValueKind::flag;
  if (!members.empty()) return ValueKind::choice;
  if (contains(kProfileOptions, name)) return ValueKind::profile;
  return ValueKind::any;
}

ValueKind arg_kind(std::string_view path, std::string_view name, const std::vector<std::string>& members) {
  if (!members.empty()) return ValueKind::choice;
  if (contains(kProfileArgs, std::pair{path, name})) return ValueKind::profile;
  if (contains(kFileArgs, name)) return ValueKind::file;
  return ValueKind::any;
}

void describe(CLI::App& command, const std::string& path, std::vector<CommandSpec>& out) {
  CommandSpec spec;
  spec.path = path;
  spec.description = command.get_description();
  spec.hidden = !path.empty() && command.get_group().empty();
  for (CLI::Option* option : command.get_options()) {
    std::vector<std::string> members = members_of(*option);
    if (option->get_positional()) {
      const std::string name = option->get_name(true);
      spec.args.push_back(ArgSpec{name, arg_kind(path, name, members), members});
      continue;
    }
    std::vector<std::string> names;
    for (const std::string& l : option->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : option->get_snames()) names.push_back("-" + s);
    for (const std::string& name : names) {
      spec.options.push_back(OptionSpec{name, option->get_description(), option_kind(*option, name, members), members});
    }
  }
  std::vector<CLI::App*> children = command.get_subcommands(std::function<bool(CLI::App*)>());
  for (CLI::App* child : children) {
    if (!child->get_group().empty()) spec.subcommands.push_back({child->get_name(), child->get_description()});
  }
  out.push_back(std::move(spec));
  for (CLI::App* child : children) describe(*child, path.empty() ? child->get_name() : path + " " + child->get_name(), out);
}

}  // namespace

std::vector<CommandSpec> describe_commands(CLI::App& root) {
  std::vector<CommandSpec> out;
  describe(root, "", out);
  return out;
}

std::optional<Shell> parse_shell(std::string_view name) {
  if (name == "bash") return Shell::bash;
  if (name == "zsh") return Shell::zsh;
  if (name == "fish") return Shell::fish;
  return std::nullopt;
}

}  // namespace client
