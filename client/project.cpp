#include "client/project.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "client/files.hpp"

namespace client {
namespace {

constexpr std::size_t kMaxProjectFile = 64 * 1024;
constexpr const char* kWorkspaceDir = ".fluxloop";
constexpr const char* kProjectFile = "project.json";

}  // namespace

std::string workspace_project_file(const std::string& working_directory, const std::string& home_directory) {
  const std::filesystem::path start(working_directory);
  if (!start.is_absolute()) return {};
  const std::filesystem::path home(home_directory);
  for (std::filesystem::path dir = start;; dir = dir.parent_path()) {
    // ~/.fluxloop is the platform CLI's global directory (auth.json), never a workspace.
    std::error_code error;
    if (dir != home && std::filesystem::exists(dir / kWorkspaceDir, error)) return (dir / kWorkspaceDir / kProjectFile).string();
    if (dir == dir.root_path()) return {};
  }
}

Outcome<std::string> project_id_of(const std::string& project_id_flag, const std::string& working_directory,
                                   const std::string& home_directory) {
  if (!project_id_flag.empty()) return project_id_flag;
  const std::string path = workspace_project_file(working_directory, home_directory);
  if (path.empty()) return std::string();
  ScopedFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (file.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::string();
    return Failure{proto::kExitError, "cannot read " + path + " (" + std::strerror(errno) + "); pass --project-id ID"};
  }
  auto bad = [&](const std::string& why) {
    return Failure{proto::kExitError, path + " " + why + "; select a project with the platform CLI's `fluxloop projects select ID` or pass --project-id ID"};
  };
  // The project decides where keys are created, listed and revoked: a file another user could have
  // placed in a shared parent directory (/tmp) does not choose it.
  struct stat st{};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) return bad("is not a regular file");
  if (st.st_uid != ::geteuid()) return bad("belongs to uid " + std::to_string(st.st_uid) + ", not to you");
  int error = 0;
  const auto text = read_bounded(file.fd, kMaxProjectFile, error);
  if (!text) return bad(error == EFBIG ? "is too large" : std::string("could not be read (") + std::strerror(error) + ")");
  auto document = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return bad("is not a JSON object");
  // Ids are opaque (CONTRACT.md): a string, or the integer a database may hand `projects select`.
  auto it = document.find("project_id");
  if (it != document.end() && it->is_number_integer()) return it->dump();
  if (it == document.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return bad("has no project_id");
  return it->get<std::string>();
}

}  // namespace client
