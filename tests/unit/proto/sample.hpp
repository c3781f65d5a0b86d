// Sample messages for codec tests: every field set to a distinct non-default value, through the
// message's own fields() description (proto/fields.hpp), so a field added to a message is sampled
// without editing any test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/enums.hpp"

namespace testsupport {

// A fields() visitor that sets each field it is shown, recursing into nested messages and lists.
class Filler {
 public:
  static constexpr bool kReading = true;  // it sets fields, as the reader does

  template <typename T>
  void required(const char*, T& field) { fill(field); }
  template <typename T>
  void always(const char*, T& field) { fill(field); }
  template <typename T>
  void optional(const char*, T& field) { fill(field); }
  void nullable(const char*, std::string& field) { fill(field); }
  template <typename T>
  void when(bool, const char*, T& field) { fill(field); }
  template <typename M>
  void flat(M& nested) { M::fields(nested, *this); }

 private:
  void fill(std::string& field) { field = "value-" + std::to_string(++next_); }
  void fill(std::int64_t& field) { field = 1000 + ++next_; }  // within every bound on seconds
  void fill(bool& field) { field = !field; }
  void fill(std::vector<std::string>& field) {
    field = {"item-" + std::to_string(++next_), "item-" + std::to_string(++next_)};
  }
  // Another value than the current (default) one, varying from field to field.
  template <proto::WireEnum E>
  void fill(E& field) {
    constexpr auto count = proto::enum_count<E>();
    static_assert(count > 1, "an enum of one value cannot be sampled apart from its default");
    const auto step = 1 + static_cast<std::size_t>(++next_) % (count - 1);
    field = static_cast<E>((static_cast<std::size_t>(field) + step) % count);
  }
  template <proto::WireEnum E>
  void fill(std::optional<E>& field) { fill(field.emplace()); }
  template <typename M>
  void fill(std::vector<M>& field) {
    fill(field.emplace_back());
    fill(field.emplace_back());
  }
  template <typename M>
  void fill(M& nested) { M::fields(nested, *this); }

  int next_ = 0;
};

// A T with every field set (see Filler).
template <typename T>
T sample() {
  T value{};
  Filler filler;
  T::fields(value, filler);
  return value;
}

}  // namespace testsupport
