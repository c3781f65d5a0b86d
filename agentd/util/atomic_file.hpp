// Durable whole-file replacement and bounded reads, for the agent's state files.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace agentd::util {

// Replaces `path` with `content` atomically and durably: a 0600 temp file in the same directory
// (O_EXCL), write, fsync, rename over `path`, fsync the directory. A crash at any point leaves either
// the old or the new file, never a torn one. Errors are store_error naming the path.
proto::Status write_file_atomic(const std::string& path, std::string_view content);

// Reads a whole regular file of at most `max_bytes`. nullopt when it does not exist. Never blocks
// on a FIFO or device (opened non-blocking, refused unless a regular file). Refuses (store_error)
// files readable or writable by group/others with Privacy::owner_only; Privacy::ours refuses files
// not owned by our effective uid or writable by group/others (someone else could have written them);
// a symbolic link as the last path component is refused with Symlinks::refuse.
enum class Privacy { any, owner_only, ours };
enum class Symlinks { follow, refuse };
proto::Result<std::optional<std::string>> read_file(const std::string& path, std::size_t max_bytes,
                                                    Privacy privacy, Symlinks symlinks = Symlinks::follow);

// Creates `dir` (and parents) with mode 0700 if missing.
proto::Status ensure_private_dir(const std::string& dir);

}  // namespace agentd::util
