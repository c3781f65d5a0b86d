#include <doctest/doctest.h>

#include <string>

#include "proto/mask.hpp"

TEST_CASE("mask: wipe zeroes the whole buffer and empties the string") {
  std::string secret(64, 'k');
  secret.resize(10);  // bytes past size() still hold 'k'
  const char* data = secret.data();
  auto capacity = secret.capacity();
  proto::wipe(secret);
  CHECK(secret.empty());
  REQUIRE(secret.data() == data);  // no reallocation: the same buffer was zeroed
  for (std::size_t i = 0; i < capacity; ++i) {
    if (data[i] != '\0') FAIL_CHECK("byte " << i << " not wiped");
  }
}

TEST_CASE("mask: WipeOnExit wipes a string it does not own when the scope ends, also on an exception") {
  std::string secret = "flx_at_0123456789abcdef0123456789abcdef";
  try {
    proto::WipeOnExit guard{secret};
    throw 1;
  } catch (int) {
  }
  CHECK(secret.empty());
}
