// The two visitors that turn a message's fields() description (proto/fields.hpp) into JSON and back,
// and FLUXLOOP_PROTO_DEFINE, which defines a message's write/read from them. Included by proto's own
// .cpp files only, so the templates are instantiated there and nlohmann/json.hpp stays out of the
// message headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/enums.hpp"
#include "proto/fields.hpp"

namespace proto::field_codec {

template <typename T>
inline constexpr bool kIsOptional = false;
template <typename T>
inline constexpr bool kIsOptional<std::optional<T>> = true;
template <typename T>
inline constexpr bool kIsOptionalEnum = false;
template <WireEnum E>
inline constexpr bool kIsOptionalEnum<std::optional<E>> = true;
template <typename T>
inline constexpr bool kIsList = false;
template <typename T>
inline constexpr bool kIsList<std::vector<T>> = !std::is_same_v<T, std::string>;  // a list of messages

// A message: a struct with a fields() description (as opposed to a string or a list of strings).
template <typename T>
concept Message = std::is_class_v<T> && !std::is_same_v<T, std::string> &&
                  !std::is_same_v<T, std::vector<std::string>> && !kIsOptional<T> && !kIsList<T>;

// Writes the fields of one message into one JSON object.
class Writer {
 public:
  static constexpr bool kReading = false;
  explicit Writer(nlohmann::json& out) : out_(out) {}

  template <typename T>
  void required(const char* key, const T& value) { out_[key] = to_json(value); }
  template <typename T>
  void always(const char* key, const T& value) { out_[key] = to_json(value); }
  template <typename T>
  void optional(const char* key, const T& value) {
    if (is_set(value)) out_[key] = to_json(value);
  }
  void nullable(const char* key, const std::string& value) {
    out_[key] = value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
  }
  template <typename T>
  void when(bool written, const char* key, const T& value) {
    if (written) out_[key] = to_json(value);
  }
  template <Message M>
  void flat(const M& nested) { write(out_, nested); }

 private:
  template <typename T>
  static nlohmann::json to_json(const T& value) {
    if constexpr (WireEnum<T>) {
      return std::string(to_string(value));
    } else if constexpr (kIsOptional<T>) {
      return value ? to_json(*value) : nlohmann::json(nullptr);
    } else if constexpr (kIsList<T>) {
      auto list = nlohmann::json::array();
      for (const auto& item : value) list.push_back(to_json(item));
      return list;
    } else if constexpr (Message<T>) {
      auto object = nlohmann::json::object();
      write(object, value);
      return object;
    } else {
      return nlohmann::json(value);  // string, integer, bool, list of strings
    }
  }
  template <typename T>
  static bool is_set(const T& value) {
    if constexpr (std::is_same_v<T, bool>) return value;
    else if constexpr (std::is_arithmetic_v<T>) return value != 0;
    else if constexpr (kIsOptional<T>) return value.has_value();
    else return !value.empty();  // strings and lists
  }

  nlohmann::json& out_;
};

// Reads the fields of one message out of a Reader (proto/fields.hpp: never throws; the first problem
// is remembered with the field's name).
class FieldReader {
 public:
  static constexpr bool kReading = true;
  explicit FieldReader(Reader& in) : in_(in) {}

  template <typename T>
  void required(const char* key, T& value) {
    if constexpr (WireEnum<T>) in_.required_enum(key, value);
    else in_.required(key, value);  // strings only
  }
  template <typename T>
  void always(const char* key, T& value) { lenient(key, value); }
  template <typename T>
  void optional(const char* key, T& value) { lenient(key, value); }
  void nullable(const char* key, std::string& value) { in_.optional(key, value); }  // null reads as absent
  template <typename T>
  void when(bool, const char* key, T& value) { lenient(key, value); }
  template <Message M>
  void flat(M& nested) { read(in_, nested); }

 private:
  template <typename T>
  void lenient(const char* key, T& value) {
    if constexpr (WireEnum<T> || kIsOptionalEnum<T>) {
      in_.optional_enum(key, value);
    } else if constexpr (kIsList<T>) {
      in_.optional_objects(key, [&](Reader& item) { read(item, value.emplace_back()); });
    } else if constexpr (Message<T>) {
      in_.optional_object(key, [&](Reader& object) { read(object, value); });
    } else {
      in_.optional(key, value);
    }
  }

  Reader& in_;
};

}  // namespace proto::field_codec

// Defines write/read of message T (declared by FLUXLOOP_PROTO_MESSAGE) from T::fields.
#define FLUXLOOP_PROTO_DEFINE(T)                          \
  void write(nlohmann::json& out, const T& m) {           \
    field_codec::Writer writer(out);                      \
    T::fields(m, writer);                                 \
  }                                                       \
  void read(Reader& in, T& m) {                           \
    field_codec::FieldReader reader(in);                  \
    T::fields(m, reader);                                 \
  }
