// systemd socket activation without libsystemd: what sd_listen_fds(3) and sd_is_socket_unix(3) do,
// in the few lines the agent needs (docs/performance.md: libsystemd cost 0.8 MiB of resident memory).
#pragma once

#include <sys/types.h>

#include "proto/result.hpp"

namespace agentd::server {

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int kListenFdsStart = 3;

// How many sockets LISTEN_PID/LISTEN_FDS pass to process `self`, as sd_listen_fds reads them:
// 0 when LISTEN_PID is unset or names another process, or LISTEN_FDS is unset; an error when either
// is not a number or LISTEN_FDS is not in 1..INT_MAX-3. Either pointer may be null (variable unset).
proto::Result<int> parse_listen_fds(const char* listen_pid, const char* listen_fds, pid_t self);

// sd_listen_fds(1): parse_listen_fds of our environment and pid, close-on-exec set on each passed
// descriptor (3, 4, ...), and LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES unset in every case, so no
// child ever sees them.
proto::Result<int> take_listen_fds();

// sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0): whether `fd` is a listening AF_UNIX stream socket.
// An error only when `fd` cannot be inspected at all (fstat/getsockopt/getsockname failed).
proto::Result<bool> is_listening_unix_stream(int fd);

}  // namespace agentd::server
