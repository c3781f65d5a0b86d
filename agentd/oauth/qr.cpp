#include "agentd/oauth/qr.hpp"

#include <qrencode.h>

#include <memory>

namespace agentd::oauth {
namespace {
constexpr int kQuietZone = 2;                       // modules of margin a scanner needs
constexpr std::size_t kMaxEncodedLength = 512;      // a verification URL; longer is not for a terminal
}  // namespace

std::string terminal_qr(std::string_view text) {
  if (text.empty() || text.size() > kMaxEncodedLength) return {};
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1), &QRcode_free);
  if (!code) return {};
  const int width = code->width;
  auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (code->data[y * width + x] & 1) != 0;
  };
  std::string out;
  // Light modules are drawn as blocks so the code reads on dark terminals (scanners need dark on
  // light, so we invert: a block is a light module).
  for (int y = -kQuietZone; y < width + kQuietZone; y += 2) {
    for (int x = -kQuietZone; x < width + kQuietZone; ++x) {
      const bool top_light = !dark(x, y);
      const bool bottom_light = !dark(x, y + 1);
      if (top_light && bottom_light) out += "\xE2\x96\x88";       // █
      else if (top_light) out += "\xE2\x96\x80";                  // ▀
      else if (bottom_light) out += "\xE2\x96\x84";               // ▄
      else out += ' ';
    }
    out += '\n';
  }
  return out;
}

}  // namespace agentd::oauth
