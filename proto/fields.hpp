// Reading and writing message fields from untrusted JSON without throwing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "proto/enums.hpp"
#include "proto/result.hpp"

namespace proto {

// Reads typed fields out of one JSON object. The first problem (missing required field, wrong type)
// is remembered with the field's name; later reads are no-ops. Never throws.
class Reader {
 public:
  explicit Reader(const nlohmann::json& object, std::string context = {});

  void required(std::string_view key, std::string& out);
  void optional(std::string_view key, std::string& out);
  void optional(std::string_view key, std::int64_t& out);
  void optional(std::string_view key, bool& out);
  void optional(std::string_view key, std::vector<std::string>& out);
  // Calls `each` with a Reader for every object of the array at `key` (absent: no calls).
  void optional_objects(std::string_view key, const std::function<void(Reader&)>& each);
  // Calls `each` with a Reader for the object at `key` (absent: no call).
  void optional_object(std::string_view key, const std::function<void(Reader&)>& each);

  // A wire enum (proto/enums.hpp) by its spelling; an unknown spelling is an error naming the field.
  template <typename E>
  void optional_enum(std::string_view key, E& out) {
    std::string text;
    optional(key, text);
    if (text.empty() || error_) return;
    if (auto value = enum_from_string<E>(text)) {
      out = *value;
    } else {
      fail(key, "one of the known values (is the agent older than the client?)");
    }
  }

  bool ok() const noexcept { return !error_; }
  const std::optional<Error>& error() const noexcept { return error_; }

 private:
  const nlohmann::json* find(std::string_view key, bool required);
  void fail(std::string_view key, std::string_view expected);

  const nlohmann::json& object_;
  std::string context_;
  std::optional<Error> error_;
};

// Declares the JSON conversion pair of message struct T (defined in proto/messages*.cpp).
#define FLUXLOOP_PROTO_MESSAGE(T)             \
  void write(nlohmann::json& out, const T& m); \
  void read(Reader& in, T& m);

}  // namespace proto
