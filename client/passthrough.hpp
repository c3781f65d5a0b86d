// Pass-through: a command this client does not implement (`fluxloop projects list`, `fluxloop test
// --upload`) runs the FluxLoop platform CLI instead, with the same arguments, standard streams and exit
// status, after the agent has made $HOME/.fluxloop/auth.json fresh (docs/cli.md "Pass-through").
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "client/app.hpp"

namespace client {

// The token the platform CLI finds must stay valid this long: it refreshes by itself under 5 minutes.
inline constexpr std::int64_t kPassThroughMinValid = 330;
// Set in the platform CLI's environment (not a secret): a second pass-through under it is a loop
// (a wrapper on PATH that runs this program again) and fails instead of recursing.
inline constexpr const char* kPassThroughMarker = "FLUXLOOP_PASSTHROUGH";

// A file's identity, to tell this program from another `fluxloop` whatever path reaches it.
struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileId&) const = default;
};
// The identity of the file at `path` (symlinks followed), nullopt when it cannot be stat'ed.
std::optional<FileId> file_id(const std::string& path);

// The platform CLI: `named` (FLUXLOOP_PLATFORM_CLI; a bare name is looked up on PATH), else the first
// executable `fluxloop` on `path_list` (PATH) that is not `self`. nullopt when there is none.
std::optional<std::string> find_platform_cli(const std::string& named, std::string_view path_list,
                                             std::optional<FileId> self);

// Runs the platform CLI for `argv` (this program's own argv): freshens the bridge file through the
// agent (best effort: a command may need no login), then replaces this process with it. Returns only
// when it cannot: exit 2 when there is no platform CLI (naming the command and how to install it).
int pass_through(App& app, int argc, char** argv);

}  // namespace client
