// Test harness: run the real binaries as child processes with a controlled environment.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace testsupport {

using Env = std::map<std::string, std::string>;

struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv to completion with exactly `env` as its environment and `input` on stdin.
// Kills it (SIGKILL) after `timeout` and reports exit_code -1.
RunResult run(const std::vector<std::string>& argv, const Env& env, std::string_view input = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A background child whose stdout/stderr go to files; killed (SIGKILL) on destruction if still running.
class Process {
 public:
  Process() = default;
  Process(const std::vector<std::string>& argv, const Env& env, const std::string& log_path);
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for exit up to `timeout`: the exit code (128+N for signal N), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A temporary directory removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view content, unsigned mode = 0600);
// Polls `predicate` every 10 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A minimal environment for children: PATH, HOME and LANG only, plus `extra`.
Env base_env(const std::string& home, const Env& extra = {});

}  // namespace testsupport
