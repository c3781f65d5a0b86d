#include "agentd/sandbox/seccomp.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "agentd/helpers/program.hpp"

namespace agentd::sandbox {
namespace {

// Highest address family number the filter enumerates (AF_MAX is 46 in Linux 6.x); families from
// here on are refused by one range rule.
constexpr int kFamilyLimit = 64;
// The socket type without SOCK_NONBLOCK / SOCK_CLOEXEC.
constexpr scmp_datum_t kSocketTypeMask = 0xf;

// Refused with EPERM instead of killing: nothing in the agent uses them, and a library probing one
// (io_uring would also run socket operations past this filter) must get an error, not a death.
constexpr std::array kRefused{
    SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(unshare), SCMP_SYS(setns),
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
    SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),
    SCMP_SYS(delete_module), SCMP_SYS(open_by_handle_at),
};

// The calls that end the agent. Their names, for the trap handler (which may not allocate).
struct Fatal {
  int number;
  const char* name;
};
constexpr std::array kFatal{
    Fatal{SCMP_SYS(execve), "execve"},
    Fatal{SCMP_SYS(execveat), "execveat"},
    Fatal{SCMP_SYS(process_vm_readv), "process_vm_readv"},
    Fatal{SCMP_SYS(process_vm_writev), "process_vm_writev"},
    Fatal{SCMP_SYS(ptrace), "ptrace"},
};

// LeakSanitizer stops the world with ptrace at exit: a sanitized build (tests only) lets ptrace pass.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerNeedsPtrace = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitizerNeedsPtrace = true;
#else
constexpr bool kSanitizerNeedsPtrace = false;
#endif
#else
constexpr bool kSanitizerNeedsPtrace = false;
#endif

// Async-signal-safe: write(2) only, the number formatted by hand.
void write_stderr(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void on_sigsys(int, siginfo_t* info, void*) {
  const int number = info->si_syscall;
  const char* name = "unknown";
  for (const auto& fatal : kFatal) {
    if (fatal.number == number) name = fatal.name;
  }
  char digits[16];
  int n = sizeof digits - 1;
  digits[n] = '\0';
  unsigned value = number < 0 ? 0u : static_cast<unsigned>(number);
  do {
    digits[--n] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n > 0);
  write_stderr("fluxloop-agentd: seccomp: blocked system call ");
  write_stderr(name);
  write_stderr(" (");
  write_stderr(digits + n);
  write_stderr("); the agent stops (FLUXLOOP_SECCOMP=trap)\n");
  // Die as the kill action would: of SIGSYS, with no core file (the agent is not dumpable).
  struct sigaction fallback{};
  fallback.sa_handler = SIG_DFL;
  ::sigaction(SIGSYS, &fallback, nullptr);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGSYS);
  ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
  ::raise(SIGSYS);
  ::_exit(128 + SIGSYS);
}

proto::Error failure(const char* what, int code) {
  return proto::Error{proto::ErrorCode::internal,
                      std::string("cannot install the seccomp filter: ") + what + ": " + std::strerror(code < 0 ? -code : code)};
}

// The filter context, released however install() returns.
struct Context {
  scmp_filter_ctx ctx;
  ~Context() {
    if (ctx) seccomp_release(ctx);
  }
};

// Refuses socket families (and, for IP, socket types) outside Unix, TCP and UDP with EACCES: glibc's
// getaddrinfo probes AF_NETLINK and copes with a refusal; a kill would end the agent on a DNS lookup.
int add_socket_rules(scmp_filter_ctx ctx) {
  const uint32_t refuse = SCMP_ACT_ERRNO(EACCES);
  for (int syscall : {SCMP_SYS(socket), SCMP_SYS(socketpair)}) {
    for (int family = 0; family < kFamilyLimit; ++family) {
      if (family == AF_UNIX || family == AF_INET || family == AF_INET6) continue;
      if (int rc = seccomp_rule_add(ctx, refuse, syscall, 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family))); rc < 0) return rc;
    }
    if (int rc = seccomp_rule_add(ctx, refuse, syscall, 1, SCMP_A0(SCMP_CMP_GE, kFamilyLimit)); rc < 0) return rc;
    for (int family : {AF_INET, AF_INET6}) {
      for (scmp_datum_t type = 0; type <= kSocketTypeMask; ++type) {
        if (type == SOCK_STREAM || type == SOCK_DGRAM) continue;
        int rc = seccomp_rule_add(ctx, refuse, syscall, 2, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)),
                                  SCMP_A1(SCMP_CMP_MASKED_EQ, kSocketTypeMask, type));
        if (rc < 0) return rc;
      }
    }
  }
  return 0;
}

// execveat is fatal except in the one form the agent uses to start its helpers (agentd/helpers):
// the descriptor is one of the helper programs opened before the filter, the path is the agent's own
// empty string (its address: seccomp sees pointers, not strings; an absolute path would ignore the
// descriptor) and the flags are exactly AT_EMPTY_PATH. Any other execveat meets one of these rules.
int add_execveat_rules(scmp_filter_ctx ctx, uint32_t fatal, const std::vector<int>& fds) {
  const int call = SCMP_SYS(execveat);
  if (fds.empty()) return seccomp_rule_add(ctx, fatal, call, 0);
  const auto [low, high] = std::minmax_element(fds.begin(), fds.end());
  if (int rc = seccomp_rule_add(ctx, fatal, call, 1, SCMP_A0(SCMP_CMP_LT, static_cast<scmp_datum_t>(*low))); rc < 0) return rc;
  if (int rc = seccomp_rule_add(ctx, fatal, call, 1, SCMP_A0(SCMP_CMP_GT, static_cast<scmp_datum_t>(*high))); rc < 0) return rc;
  for (int fd = *low + 1; fd < *high; ++fd) {
    if (std::find(fds.begin(), fds.end(), fd) != fds.end()) continue;
    if (int rc = seccomp_rule_add(ctx, fatal, call, 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(fd))); rc < 0) return rc;
  }
  const auto path = static_cast<scmp_datum_t>(reinterpret_cast<std::uintptr_t>(helpers::empty_path()));
  if (int rc = seccomp_rule_add(ctx, fatal, call, 1, SCMP_A1(SCMP_CMP_NE, path)); rc < 0) return rc;
  return seccomp_rule_add(ctx, fatal, call, 1, SCMP_A4(SCMP_CMP_NE, static_cast<scmp_datum_t>(AT_EMPTY_PATH)));
}

}  // namespace

proto::Result<Violation> violation_from_environment() {
  const char* value = std::getenv("FLUXLOOP_SECCOMP");
  if (!value || !*value || std::strcmp(value, "kill") == 0) return Violation::kill;
  if (std::strcmp(value, "trap") == 0) return Violation::trap;
  return proto::Error{proto::ErrorCode::invalid_argument,
                      "FLUXLOOP_SECCOMP must be 'kill' (the default) or 'trap' (log the blocked call, then stop)"};
}

proto::Status install(Violation violation) {
  if (violation == Violation::trap) {
    struct sigaction action{};
    action.sa_sigaction = on_sigsys;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGSYS, &action, nullptr) != 0) return failure("sigaction(SIGSYS)", errno);
  }
  // Explicit, though libseccomp sets it too: without it an unprivileged process may not load a filter,
  // and with it nothing the agent could execute would gain privileges.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failure("PR_SET_NO_NEW_PRIVS", errno);

  Context context{seccomp_init(SCMP_ACT_ALLOW)};
  if (!context.ctx) return failure("seccomp_init", ENOMEM);
  // Every thread already running (logging, a keyring worker) gets the same filter.
  if (int rc = seccomp_attr_set(context.ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc < 0) return failure("TSYNC", rc);
  const uint32_t fatal = violation == Violation::kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
  for (const auto& call : kFatal) {
    if (call.number == SCMP_SYS(ptrace) && kSanitizerNeedsPtrace) continue;
    if (call.number == SCMP_SYS(execveat)) continue;  // below
    if (int rc = seccomp_rule_add(context.ctx, fatal, call.number, 0); rc < 0) return failure(call.name, rc);
  }
  if (int rc = add_execveat_rules(context.ctx, fatal, helpers::program_fds()); rc < 0) return failure("execveat rules", rc);
  for (int call : kRefused) {
    if (int rc = seccomp_rule_add(context.ctx, SCMP_ACT_ERRNO(EPERM), call, 0); rc < 0) return failure("rule", rc);
  }
  if (int rc = add_socket_rules(context.ctx); rc < 0) return failure("socket rules", rc);
  if (int rc = seccomp_load(context.ctx); rc < 0) return failure("seccomp_load", rc);
  return proto::Ok{};
}

proto::Status enter() {
  auto violation = violation_from_environment();
  if (!violation) return std::move(violation).error();
  if (auto installed = install(*violation); !installed) {
    spdlog::warn("{}; the agent runs without it", installed.error().message);
    return proto::Ok{};
  }
  spdlog::debug("seccomp filter installed ({})", *violation == Violation::kill ? "kill" : "trap");
  run_selftest_from_environment();
  return proto::Ok{};
}

void run_selftest_from_environment() {
  const char* test = std::getenv("FLUXLOOP_SECCOMP_SELFTEST");
  if (!test) return;
  if (std::strcmp(test, "execve") == 0) {
    spdlog::warn("seccomp self-test: trying execve(/bin/true), which must stop the agent");
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    ::execve("/bin/true", argv, ::environ);
    spdlog::error("seccomp self-test: execve returned ({}): the filter is not active", std::strerror(errno));
  } else if (std::strcmp(test, "execveat") == 0) {
    // The helpers' form of execveat, on a descriptor that is not a helper: must stop the agent too.
    const int fd = ::open("/bin/true", O_PATH | O_CLOEXEC);
    spdlog::warn("seccomp self-test: trying execveat(/bin/true) like a helper start, which must stop the agent");
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    ::syscall(SYS_execveat, fd, helpers::empty_path(), argv, ::environ, AT_EMPTY_PATH);
    spdlog::error("seccomp self-test: execveat returned ({}): the filter is not active", std::strerror(errno));
  } else if (std::strcmp(test, "netlink") == 0) {
    const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      ::close(fd);
      spdlog::error("seccomp self-test: socket(AF_NETLINK) succeeded: the filter is not active");
    } else {
      spdlog::info("seccomp self-test: socket(AF_NETLINK) refused: {}", std::strerror(errno));
    }
  }
}

}  // namespace agentd::sandbox
