#include <doctest/doctest.h>

#include <sstream>

#include "agentd/oauth/qr.hpp"

TEST_CASE("a verification URL becomes a square terminal QR code") {
  auto qr = agentd::oauth::terminal_qr("https://127.0.0.1:8443/device?user_code=ABCD-EFGH");
  REQUIRE_FALSE(qr.empty());
  std::istringstream lines(qr);
  std::string line;
  std::size_t rows = 0, first_width = 0;
  while (std::getline(lines, line)) {
    // Count characters, not bytes: each block is 3 bytes of UTF-8, a space 1.
    std::size_t width = 0;
    for (std::size_t i = 0; i < line.size(); i += (static_cast<unsigned char>(line[i]) >= 0x80 ? 3 : 1)) ++width;
    if (rows == 0) first_width = width;
    CHECK(width == first_width);
    ++rows;
  }
  // Version 1 is 21 modules; plus the quiet zone on both sides; two modules per row.
  CHECK(first_width >= 25);
  CHECK(rows == (first_width + 1) / 2);
  CHECK(agentd::oauth::terminal_qr("").empty());
  CHECK(agentd::oauth::terminal_qr(std::string(600, 'x')).empty());
}
