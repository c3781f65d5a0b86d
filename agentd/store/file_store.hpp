// The file store: FLUXLOOP_HOME/credentials.json, the contract's credentials file, mode 0600.
//
// Writes are atomic and durable: a temp file in the same directory (O_EXCL, 0600), write, fsync,
// rename over the file, fsync the directory. A crash leaves either the old file or the new one.
//
// Permissions policy (as ssh does for private keys): a credentials file that is group/world readable
// or writable, owned by another user, a symbolic link or not a regular file is REFUSED with a
// store_error saying what to do (`chmod 600 …`), never loaded and silently tightened. A loose mode
// means the tokens may already have been read by someone else; the user must learn that, and decide
// whether to log out (revoke) rather than just fix the mode. A symlink is refused because the atomic
// rename would replace the link instead of writing through it.
//
// A file that cannot be parsed is never overwritten: save() and erase() fail and leave it untouched.
// All I/O is synchronous on the calling thread (a small local file is fast); nothing here throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "agentd/store/secret_store.hpp"

namespace agentd::store {

class FileStore final : public SecretStore {
 public:
  // `path` is the credentials file; a file in the first (single-profile) shape is read as the profile
  // `single_profile` and rewritten in the second shape on the next save.
  explicit FileStore(std::string path, std::string single_profile = "production");

  proto::StoreKind kind() const noexcept override { return proto::StoreKind::file; }
  std::string location() const override { return path_; }
  boost::asio::awaitable<proto::Result<ProfileCredentials>> load_all() override;
  boost::asio::awaitable<proto::Status> save(const std::string& profile, const Credentials& credentials) override;
  boost::asio::awaitable<proto::Status> erase(const std::string& profile) override;

  // The synchronous operations behind the awaitables (same contracts).
  // read(): the whole file; a missing file is an empty CredentialsFile, not an error.
  proto::Result<CredentialsFile> read() const;
  proto::Status save_now(const std::string& profile, const Credentials& credentials);
  proto::Status erase_now(const std::string& profile);
  // Deletes temp files a crash mid-write left beside the file (mode 0600, but copies of tokens)
  // once they are older than `min_age`, so a concurrent writer's fresh temp file is never touched.
  // Returns how many were removed.
  std::size_t remove_stale_temp_files(std::chrono::seconds min_age) const;

 private:
  // Replaces the file with `file` atomically (see the top of this header).
  proto::Status write(const CredentialsFile& file);

  std::string path_;
  std::string single_profile_;
};

}  // namespace agentd::store
