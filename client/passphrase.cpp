#include "client/passphrase.hpp"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "client/files.hpp"

namespace client {
namespace {

// Signals that would leave the terminal without echo if they struck mid-read (as readpassphrase(3)).
constexpr std::array kSignals{SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU};

// Shared with the signal handler: the terminal and the settings to put back.
volatile sig_atomic_t g_received[NSIG];
volatile sig_atomic_t g_tty_fd = -1;
struct termios g_saved;

extern "C" void on_signal(int signo) {
  g_received[signo] = 1;
  // tcsetattr is async-signal-safe: the terminal is sane again before anything else happens.
  if (g_tty_fd >= 0) ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved);
}

Failure failure(const std::string& message) { return Failure{proto::kExitError, message, FailureKind::local}; }

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

enum class LineEnd { newline, eof, interrupted, error };

// Reads bytes into `out` up to a newline (not stored) or EOF; over-long input keeps being read (and
// discarded) to its end so the rest of the line never reaches the shell, then fails.
LineEnd read_line(int fd, Passphrase& out, bool& too_long) {
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) return LineEnd::interrupted;
      return LineEnd::error;
    }
    if (n == 0) return LineEnd::eof;
    if (c == '\n' || c == '\r') return LineEnd::newline;
    if (out.text().size() >= kMaxPassphrase) too_long = true;
    else out.text().push_back(c);
    c = 0;
  }
}

Outcome<Passphrase> checked(Passphrase passphrase, bool too_long, const std::string& where) {
  if (too_long) return failure("the passphrase from " + where + " is longer than " + std::to_string(kMaxPassphrase) + " bytes");
  if (passphrase.text().empty()) return failure("the passphrase from " + where + " is empty");
  return passphrase;
}

}  // namespace

Passphrase::Passphrase() { text_.reserve(kMaxPassphrase + 1); }
Passphrase::~Passphrase() { proto::wipe(text_); }
Passphrase::Passphrase(Passphrase&& other) noexcept : text_(std::move(other.text_)) {}


Outcome<Passphrase> read_passphrase_fd(int fd) {
  const std::string where = "--passphrase-fd " + std::to_string(fd);
  Passphrase passphrase;
  bool too_long = false;
  LineEnd end;
  do {
    end = read_line(fd, passphrase, too_long);
  } while (end == LineEnd::interrupted);
  if (end == LineEnd::error) return failure("cannot read the passphrase from " + where + ": " + std::strerror(errno));
  return checked(std::move(passphrase), too_long, where);
}

Outcome<Passphrase> read_passphrase_tty(std::string_view prompt) {
  if (!::isatty(STDIN_FILENO)) {
    return failure("cannot ask for a passphrase: stdin is not a terminal; run this in a terminal, or give the "
                   "passphrase on a file descriptor with --passphrase-fd N (never on the command line)");
  }
  ScopedFd tty{::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)};
  if (tty.fd < 0) return failure(std::string("cannot open the terminal /dev/tty: ") + std::strerror(errno));

  for (;;) {  // once, plus once more after each stop (Ctrl-Z) and resume
    struct termios saved {};
    if (::tcgetattr(tty.fd, &saved) != 0) return failure(std::string("cannot read the terminal settings: ") + std::strerror(errno));
    for (auto& flag : g_received) flag = 0;
    g_saved = saved;
    g_tty_fd = tty.fd;
    std::array<struct sigaction, kSignals.size()> previous{};
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a signal ends the read (EINTR)
    for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &action, &previous[i]);

    struct termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
    const bool echo_off = ::tcsetattr(tty.fd, TCSAFLUSH, &quiet) == 0;
    write_all(tty.fd, prompt);

    Passphrase passphrase;
    bool too_long = false;
    const LineEnd end = read_line(tty.fd, passphrase, too_long);
    const int read_errno = errno;

    // Put everything back before looking at the outcome: every path below leaves a sane terminal.
    ::tcsetattr(tty.fd, TCSAFLUSH, &saved);
    g_tty_fd = -1;
    if (echo_off) write_all(tty.fd, "\n");  // the user's Enter was not echoed
    for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &previous[i], nullptr);

    bool stopped = false;
    for (int signo : kSignals) {
      if (!g_received[signo]) continue;
      // Now with the original disposition: INT/TERM/… end the process as the user asked, TSTP stops it.
      ::kill(::getpid(), signo);
      stopped |= signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
    }
    if (stopped) continue;  // resumed: ask again
    if (!echo_off) return failure("cannot turn off echo on the terminal, so the passphrase is not read");
    if (end == LineEnd::interrupted) return failure("interrupted while reading the passphrase");
    if (end == LineEnd::error) return failure(std::string("cannot read the passphrase: ") + std::strerror(read_errno));
    return checked(std::move(passphrase), too_long, "the terminal");
  }
}

}  // namespace client
