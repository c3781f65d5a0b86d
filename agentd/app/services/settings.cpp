#include "agentd/app/services/settings.hpp"

namespace agentd::app::services {

Settings::Settings(AppOptions options) : options_(std::move(options)) {}

proto::Status Settings::load() {
  auto loaded = config::load(config_path());
  if (!loaded) return std::move(loaded).error();
  config_ = std::move(*loaded);
  return proto::Ok{};
}

std::string_view Settings::resolve_view(std::string_view requested) const noexcept {
  if (!requested.empty()) return requested;
  if (!config_.default_profile.empty()) return config_.default_profile;
  return config::kDefaultProfile;
}

std::string Settings::resolve(const std::string& requested) const {
  if (!requested.empty()) return requested;
  if (!config_.default_profile.empty()) return config_.default_profile;
  return std::string(config::kDefaultProfile);
}

const config::Profile* Settings::profile(const std::string& name) const {
  const auto it = config_.profiles.find(name);
  return it == config_.profiles.end() ? nullptr : &it->second;
}

proto::Status Settings::update(config::Config updated) {
  if (auto saved = config::save(config_path(), updated); !saved) return saved;
  config_ = std::move(updated);
  return proto::Ok{};
}

void Settings::adopt_sanitization(std::vector<config::SanitizationPattern> patterns) {
  config_.sanitization = std::move(patterns);
}

}  // namespace agentd::app::services
