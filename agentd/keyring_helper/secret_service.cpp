// The keyring helper's Secret Service calls (libsecret), moved here from the agent's keyring store.
#include "agentd/keyring_helper/secret_service.hpp"

#include <map>
#include <memory>
#include <utility>

#include <libsecret/secret.h>

#include "agentd/store/keyring_store.hpp"

namespace agentd::keyring_helper {
namespace {

using store::kUseFileHint;

constexpr const char* kSchemaName = "ai.fluxloop.Agent";
constexpr const char* kApplication = "fluxloop-agent";
constexpr const char* kBusName = "org.freedesktop.secrets";
constexpr const char* kServicePath = "/org/freedesktop/secrets";
constexpr const char* kServiceInterface = "org.freedesktop.Secret.Service";
constexpr const char* kLockedRemoteError = "org.freedesktop.Secret.Error.IsLocked";

constexpr const char* kLockedMessage =
    "the keyring is locked: unlock it (log in to the desktop session) or run the agent with FLUXLOOP_STORE=file";
constexpr const char* kFileHint = kUseFileHint.data();  // a literal: NUL-terminated

const SecretSchema* schema() {
  static const SecretSchema value = [] {
    SecretSchema s{};
    s.name = kSchemaName;
    s.flags = SECRET_SCHEMA_NONE;
    s.attributes[0] = {"application", SECRET_SCHEMA_ATTRIBUTE_STRING};
    s.attributes[1] = {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING};
    return s;
  }();
  return &value;
}

// Owners for GLib objects, so every early return frees what it took.
struct GErrorFree { void operator()(GError* e) const { g_error_free(e); } };
struct HashUnref { void operator()(GHashTable* t) const { g_hash_table_unref(t); } };
struct ItemsFree { void operator()(GList* l) const { g_list_free_full(l, g_object_unref); } };
struct ValueUnref { void operator()(SecretValue* v) const { secret_value_unref(v); } };
using ErrorPtr = std::unique_ptr<GError, GErrorFree>;
using HashPtr = std::unique_ptr<GHashTable, HashUnref>;
using ItemsPtr = std::unique_ptr<GList, ItemsFree>;
using ValuePtr = std::unique_ptr<SecretValue, ValueUnref>;

// The attributes are borrowed C strings: `profile` must outlive the table.
HashPtr attributes(const std::string* profile) {
  HashPtr table(g_hash_table_new(g_str_hash, g_str_equal));
  g_hash_table_insert(table.get(), const_cast<char*>("application"), const_cast<char*>(kApplication));
  if (profile) g_hash_table_insert(table.get(), const_cast<char*>("profile"), const_cast<char*>(profile->c_str()));
  return table;
}

bool is_locked_error(GError* error) {
  if (g_error_matches(error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED)) return true;
  if (!g_dbus_error_is_remote_error(error)) return false;
  gchar* name = g_dbus_error_get_remote_error(error);
  bool locked = name && g_str_equal(name, kLockedRemoteError);
  g_free(name);
  return locked;
}

// libsecret/GDBus messages describe the failure, never the secret (we never hand secrets to them).
proto::Error failure(ErrorPtr error, const std::string& doing) {
  if (error && is_locked_error(error.get())) return proto::Error{proto::ErrorCode::store_error, kLockedMessage};
  std::string detail = "unknown error";
  if (error) {
    g_dbus_error_strip_remote_error(error.get());
    detail = error->message;
  }
  return proto::Error{proto::ErrorCode::store_error, "the Secret Service could not " + doing + ": " + detail + kFileHint};
}

}  // namespace

namespace {

// One operation's SecretService proxy, made fresh each time inside a private main context.
// Fresh: a GDBusProxy sends to the name owner it saw at creation and learns of a new owner only from
// signals dispatched in the main context it was made in; nobody iterates the default context here, so
// a long-lived proxy (like libsecret's cached default service) would keep calling a replaced keyring
// daemon, and its signals would pile up unread. Made in a private context popped and freed with the
// proxy, nothing accumulates. (libsecret 0.20 always puts the service on GIO's session-bus singleton;
// it cannot be given a connection of our own.)
class ServiceProxy {
 public:
  ServiceProxy(gint timeout_ms, ErrorPtr& error) : context_(g_main_context_new()) {
    g_main_context_push_thread_default(context_);
    GError* raw = nullptr;
    service_ = secret_service_open_sync(SECRET_TYPE_SERVICE, nullptr, SECRET_SERVICE_NONE, nullptr, &raw);
    if (!service_) {
      error.reset(raw);
      return;
    }
    // GIO's session-bus singleton raises SIGTERM in the whole process when the bus goes away: losing
    // the keyring must fail keyring calls, not stop the agent.
    g_dbus_connection_set_exit_on_close(g_dbus_proxy_get_connection(G_DBUS_PROXY(service_)), FALSE);
    // libsecret's calls on the service use the proxy's default timeout (25 s otherwise): a provider
    // that owns the name but never answers then frees our worker soon after our own deadline.
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(service_), timeout_ms);
  }
  ~ServiceProxy() {
    if (service_) g_object_unref(service_);
    for (int i = 0; i < kMaxDrain && g_main_context_iteration(context_, FALSE); ++i) {
    }
    g_main_context_pop_thread_default(context_);
    g_main_context_unref(context_);
  }
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  SecretService* get() const { return service_; }

 private:
  // Pending dispatches for the freed proxy; bounded so a chatty bus cannot keep us here.
  static constexpr int kMaxDrain = 64;
  GMainContext* context_;
  SecretService* service_ = nullptr;
};

}  // namespace

proto::Status probe(int timeout_ms) {
  ErrorPtr error;
  ServiceProxy proxy(timeout_ms, error);
  SecretService* service = proxy.get();
  if (!service) return failure(std::move(error), "be reached");
  GError* raw = nullptr;
  GVariant* reply = g_dbus_proxy_call_sync(G_DBUS_PROXY(service), "ReadAlias", g_variant_new("(s)", "default"),
                                           G_DBUS_CALL_FLAGS_NONE, timeout_ms, nullptr, &raw);
  if (!reply) return failure(ErrorPtr(raw), "be reached");
  const gchar* path = nullptr;
  g_variant_get(reply, "(&o)", &path);
  bool has_default = path && !g_str_equal(path, "/");
  g_variant_unref(reply);
  // Without a default collection, storing would need a prompt to create one: not usable unattended.
  if (!has_default) {
    return proto::Error{proto::ErrorCode::store_error,
                        std::string("the Secret Service has no default keyring to store into") + kFileHint};
  }
  return proto::Ok{};
}

proto::Result<std::vector<Item>> load(int timeout_ms) {
  ErrorPtr error;
  ServiceProxy proxy(timeout_ms, error);
  SecretService* service = proxy.get();
  if (!service) return failure(std::move(error), "be reached");
  auto query = attributes(nullptr);
  GError* raw = nullptr;
  // SEARCH_ALL | LOAD_SECRETS and deliberately not UNLOCK: locked items come back flagged instead of
  // looking absent, and no unlock prompt is started (PLATFORM.md).
  ItemsPtr items(secret_service_search_sync(service, schema(), query.get(),
                                            static_cast<SecretSearchFlags>(SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS),
                                            nullptr, &raw));
  if (raw) return failure(ErrorPtr(raw), "search the keyring");

  std::vector<Item> out;
  for (GList* node = items.get(); node; node = node->next) {
    auto* item = SECRET_ITEM(node->data);
    if (secret_item_get_locked(item)) return proto::Error{proto::ErrorCode::store_error, kLockedMessage};
    HashPtr item_attributes(secret_item_get_attributes(item));
    auto* name = static_cast<const char*>(g_hash_table_lookup(item_attributes.get(), "profile"));
    if (!name || !*name) continue;  // not one of ours after all
    Item found;
    found.profile = name;
    ValuePtr value(secret_item_get_secret(item));
    if (!value) {
      return proto::Error{proto::ErrorCode::store_error,
                          "the Secret Service did not return the secret of profile \"" + found.profile + "\"" + kFileHint};
    }
    gsize length = 0;
    const gchar* bytes = secret_value_get(value.get(), &length);
    found.secret.assign(bytes, length);
    found.modified = secret_item_get_modified(item);
    out.push_back(std::move(found));
  }
  return out;
}

proto::Status save(int timeout_ms, const std::string& profile, std::string_view secret) {
  ErrorPtr error;
  ServiceProxy proxy(timeout_ms, error);
  SecretService* service = proxy.get();
  if (!service) return failure(std::move(error), "be reached");
  GError* raw = nullptr;
  // Check the default collection first: on CreateItem into a locked collection gnome-keyring tries to
  // open an unlock prompt. Without a display that fails ("Cannot create an item in a locked
  // collection"); with one, the call would block until someone answers. Never start that prompt.
  SecretCollection* collection =
      secret_collection_for_alias_sync(service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr, &raw);
  if (!collection) {
    if (raw) return failure(ErrorPtr(raw), "open the default keyring");
    return proto::Error{proto::ErrorCode::store_error,
                        std::string("the Secret Service has no default keyring to store into") + kFileHint};
  }
  const bool locked = secret_collection_get_locked(collection);
  g_object_unref(collection);
  if (locked) return proto::Error{proto::ErrorCode::store_error, kLockedMessage};

  auto query = attributes(&profile);
  const std::string label = "FluxLoop credentials (" + profile + ")";
  // secret_value_new copies into libsecret's non-pageable memory; our copy is wiped by the caller.
  ValuePtr value(secret_value_new(secret.data(), static_cast<gssize>(secret.size()), "text/plain"));
  // Replaces the profile's item in the default collection (same attributes).
  if (!secret_service_store_sync(service, schema(), query.get(), SECRET_COLLECTION_DEFAULT, label.c_str(),
                                 value.get(), nullptr, &raw)) {
    return failure(ErrorPtr(raw), "store the credentials of profile \"" + profile + "\"");
  }
  return proto::Ok{};
}

proto::Status erase(int timeout_ms, const std::string& profile) {
  ErrorPtr error;
  ServiceProxy proxy(timeout_ms, error);
  SecretService* service = proxy.get();
  if (!service) return failure(std::move(error), "be reached");
  auto query = attributes(&profile);
  GError* raw = nullptr;
  // Searched without unlocking, as in load: deleting a locked item could start a prompt.
  ItemsPtr items(secret_service_search_sync(service, schema(), query.get(), SECRET_SEARCH_ALL, nullptr, &raw));
  if (raw) return failure(ErrorPtr(raw), "search the keyring");
  for (GList* node = items.get(); node; node = node->next) {
    if (secret_item_get_locked(SECRET_ITEM(node->data))) return proto::Error{proto::ErrorCode::store_error, kLockedMessage};
  }
  for (GList* node = items.get(); node; node = node->next) {
    if (!secret_item_delete_sync(SECRET_ITEM(node->data), nullptr, &raw)) {
      return failure(ErrorPtr(raw), "delete the credentials of profile \"" + profile + "\"");
    }
  }
  return proto::Ok{};
}

}  // namespace agentd::keyring_helper
