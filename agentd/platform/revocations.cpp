#include "agentd/platform/revocations.hpp"

#include <cstdio>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agentd/platform/records.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/util/atomic_file.hpp"

namespace agentd::platform {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kMaxFileBytes = 256 * 1024;
// Bounds the file: a user rotating in a loop cannot grow it without limit.
constexpr std::size_t kMaxPending = 1000;

}  // namespace

std::string serialize_revocations(const std::vector<PendingRevocation>& pending) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : pending) {
    list.push_back({{"key_id", p.key_id}, {"profile", p.profile}, {"revoke_at", p.revoke_at}});
  }
  nlohmann::json doc = nlohmann::json::object();
  doc["pending"] = std::move(list);
  return doc.dump(2) + "\n";
}

proto::Result<std::vector<PendingRevocation>> parse_revocations(std::string_view text) {
  const auto bad = [](const std::string& why) {
    return proto::Error{proto::ErrorCode::store_error, std::string(kRotationsFile) + " is unreadable: " + why};
  };
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return bad("not a JSON object");
  const auto list = doc.find("pending");
  if (list == doc.end()) return std::vector<PendingRevocation>{};
  if (!list->is_array()) return bad("\"pending\" is not an array");
  std::vector<PendingRevocation> out;
  for (const auto& item : *list) {
    if (!item.is_object()) return bad("an entry is not an object");
    PendingRevocation p;
    for (auto [field, target] : {std::pair{"key_id", &p.key_id}, {"profile", &p.profile}, {"revoke_at", &p.revoke_at}}) {
      const auto it = item.find(field);
      if (it == item.end() || !it->is_string()) return bad(std::string("an entry has no string \"") + field + "\"");
      *target = it->get<std::string>();
    }
    if (!is_key_id(p.key_id)) return bad("an entry's key_id is not a key id");
    if (!tokens::parse_rfc3339(p.revoke_at)) return bad("an entry's revoke_at is not an RFC 3339 time");
    out.push_back(std::move(p));
  }
  return out;
}

struct Revocations::Impl {
  Impl(asio::any_io_executor ex, std::string p, Revoke r)
      : executor(ex), path(std::move(p)), revoke(std::move(r)), wake(ex) {}

  struct Entry {
    PendingRevocation pending;
    Clock::time_point next;  // revoke_at, or the retry time after a failure (memory only)
  };

  asio::any_io_executor executor;
  std::string path;
  Revoke revoke;
  std::vector<Entry> entries;
  asio::steady_timer wake;
  bool running = false;

  proto::Status persist() const {
    std::vector<PendingRevocation> all;
    for (const auto& e : entries) all.push_back(e.pending);
    return util::write_file_atomic(path, serialize_revocations(all));
  }

  static asio::awaitable<void> loop(std::shared_ptr<Impl> self) { co_await self->run(); }

  asio::awaitable<void> run() {
    while (running) {
      co_await run_due();
      if (!running) break;
      std::optional<Clock::time_point> earliest;
      for (const auto& e : entries) earliest = earliest ? std::min(*earliest, e.next) : e.next;
      wake.expires_after(tokens::sleep_before(earliest));
      co_await wake.async_wait(kAwait);
    }
  }

  asio::awaitable<void> run_due() {
    // By id, not by iterator: add() may change `entries` while a revocation is awaited.
    std::vector<std::string> due;
    for (const auto& e : entries) {
      if (e.next <= Clock::now()) due.push_back(e.pending.key_id);
    }
    for (const auto& id : due) {
      auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.pending.key_id == id; });
      if (it == entries.end()) continue;
      const PendingRevocation pending = it->pending;
      auto done = co_await revoke(pending);
      if (!running) co_return;
      it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.pending.key_id == id; });
      if (it == entries.end()) continue;
      if (!done) {
        spdlog::warn("could not revoke rotated API key {} yet (next attempt in {} s): {}", id, kRevokeRetry.count(),
                     done.error().message);
        it->next = Clock::now() + kRevokeRetry;
        continue;
      }
      spdlog::info("revoked rotated API key {} (grace period over)", id);
      entries.erase(it);
      if (auto saved = persist(); !saved) spdlog::warn("cannot update {}: {}", path, saved.error().message);
    }
  }
};

Revocations::Revocations(asio::any_io_executor executor, std::string path, Revoke revoke)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(path), std::move(revoke))) {}

Revocations::~Revocations() { stop(); }

proto::Status Revocations::start() {
  auto text = util::read_file(impl_->path, kMaxFileBytes, util::Privacy::owner_only);
  if (!text) return std::move(text).error();
  if (*text) {
    auto parsed = parse_revocations(**text);
    if (!parsed) {
      // Keep the evidence for the user instead of overwriting it with the next rotation.
      const std::string aside = impl_->path + ".corrupt";
      std::rename(impl_->path.c_str(), aside.c_str());
      spdlog::warn("{}; moved it to {} (revoke the keys it lists by hand)", parsed.error().message, aside);
    } else {
      for (auto& p : *parsed) {
        const auto when = *tokens::parse_rfc3339(p.revoke_at);
        impl_->entries.push_back({std::move(p), when});
      }
      if (!impl_->entries.empty()) spdlog::info("{} rotated API key(s) wait for revocation", impl_->entries.size());
    }
  }
  if (!impl_->running) {
    impl_->running = true;
    asio::co_spawn(impl_->executor, Impl::loop(impl_), asio::detached);
  }
  return proto::Ok{};
}

proto::Status Revocations::add(PendingRevocation pending) {
  const auto when = tokens::parse_rfc3339(pending.revoke_at);
  if (!when || !is_key_id(pending.key_id)) {
    return proto::Error{proto::ErrorCode::internal, "malformed pending revocation"};
  }
  if (impl_->entries.size() >= kMaxPending) {
    return proto::Error{proto::ErrorCode::busy, "too many rotations wait for their grace period to end; try later"};
  }
  // One entry per key: a second rotation of the same old key keeps the earlier deadline's slot.
  auto before = impl_->entries;
  std::erase_if(impl_->entries, [&](const Impl::Entry& e) { return e.pending.key_id == pending.key_id; });
  impl_->entries.push_back({std::move(pending), *when});
  if (auto saved = impl_->persist(); !saved) {
    impl_->entries = std::move(before);
    return saved;
  }
  impl_->wake.cancel();
  return proto::Ok{};
}

void Revocations::stop() {
  impl_->running = false;
  impl_->wake.cancel();
}

std::vector<PendingRevocation> Revocations::pending() const {
  std::vector<PendingRevocation> out;
  for (const auto& e : impl_->entries) out.push_back(e.pending);
  return out;
}

}  // namespace agentd::platform
