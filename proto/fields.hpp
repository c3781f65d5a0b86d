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
    if (!text.empty()) parse_enum(key, text, out);
  }
  // The same, absent (or empty) reading as nullopt.
  template <typename E>
  void optional_enum(std::string_view key, std::optional<E>& out) {
    std::string text;
    optional(key, text);
    if (!text.empty()) parse_enum(key, text, out.emplace());
    if (error_) out.reset();
  }
  // The same, the field required.
  template <typename E>
  void required_enum(std::string_view key, E& out) {
    std::string text;
    required(key, text);
    if (!error_) parse_enum(key, text, out);
  }

  bool ok() const noexcept { return !error_; }
  const std::optional<Error>& error() const noexcept { return error_; }

 private:
  const nlohmann::json* find(std::string_view key, bool required);
  void fail(std::string_view key, std::string_view expected);
  template <typename E>
  void parse_enum(std::string_view key, const std::string& text, E& out) {
    if (error_) return;
    if (auto value = enum_from_string<E>(text)) {
      out = *value;
    } else {
      fail(key, "one of the known values (is the agent older than the client?)");
    }
  }

  const nlohmann::json& object_;
  std::string context_;
  std::optional<Error> error_;
};

// A message's fields are described once, by a static member template that both directions run:
//
//   template <typename Self, typename V>
//   static void fields(Self& m, V& v) { v.required("name", m.name); v.optional("scopes", m.scopes); }
//
// Self is T (reading, filling) or const T (writing). Each call names one JSON key and says when the
// writer writes it; the reader reads every field leniently (absent or null: the field keeps its
// default) except `required` ones:
//   v.required(key, f)     always written; reading fails when absent (strings and wire enums)
//   v.always(key, f)       always written, even when empty or zero
//   v.optional(key, f)     written only when set: non-empty string or list, non-zero number, true,
//                          an engaged std::optional
//   v.nullable(key, f)     a string written as JSON null when empty
//   v.when(cond, key, f)   written only when `cond` (another field's state, e.g. expires_in with expires_at)
//   v.flat(f)              a nested message written into this same object (Target)
// A field is a std::string, std::int64_t, bool, std::vector<std::string>, a wire enum (proto/enums.hpp)
// or a std::optional of one, a message, or a std::vector of messages (nested objects). V::kReading is
// true while reading: the rare field that needs it says why. The visitors that write JSON and read it
// through Reader live in proto/field_codec.hpp (proto's .cpp files only); any other visitor (a test's
// filler) works the same way.

// Declares the JSON conversion pair of message struct T; proto/messages*.cpp define it with
// FLUXLOOP_PROTO_DEFINE(T) (proto/field_codec.hpp), from T::fields.
#define FLUXLOOP_PROTO_MESSAGE(T)             \
  void write(nlohmann::json& out, const T& m); \
  void read(Reader& in, T& m);

}  // namespace proto
