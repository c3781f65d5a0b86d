// Process exit codes of both binaries, as CONTRACT.md ("Exit codes") defines them: 0 ok, 1 error,
// 2 usage, 3 login required, 4 agent unreachable, 5 permission denied, 6 network or server unavailable.
#pragma once

namespace proto {

inline constexpr int kExitOk = 0;                // success
inline constexpr int kExitError = 1;             // any other error
inline constexpr int kExitUsage = 2;             // bad command line
inline constexpr int kExitLoginRequired = 3;     // no usable refresh token: log in
inline constexpr int kExitUnreachable = 4;       // no agent answers on the socket
inline constexpr int kExitPermissionDenied = 5;  // scope or peer refused
inline constexpr int kExitNetwork = 6;           // network or server unavailable

}  // namespace proto
