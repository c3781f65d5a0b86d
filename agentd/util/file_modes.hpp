// The mode of the files the agent writes beside its credentials (logs, audit log): the user's alone.
#pragma once

#include <sys/types.h>

namespace agentd::util {

inline constexpr mode_t kPrivateFileMode = 0600;

}  // namespace agentd::util
