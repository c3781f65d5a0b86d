#include <doctest/doctest.h>

#include "proto/text.hpp"

using proto::LineBreaks;
using proto::printable;

TEST_SUITE("proto") {

TEST_CASE("printable: escape sequences go whole, with the text around them kept") {
  CHECK(printable("ABCD-\x1b[31mEFGH\x1b[0m") == "ABCD-EFGH");
  CHECK(printable("a\x1b[2J\x1b[1;1Hb") == "ab");
  CHECK(printable("title\x1b]0;pwned\x07 rest") == "title rest");       // OSC ended by BEL
  CHECK(printable("link\x1b]8;;https://evil\x1b\\x") == "linkx");       // OSC ended by ST
  CHECK(printable("\x1b" "cReset") == "Reset");                         // ESC c (full reset)
  CHECK(printable("\x1b(Bplain") == "plain");                           // ESC ( B
  CHECK(printable("end\x1b") == "end");
}

TEST_CASE("printable: C0, DEL and C1 controls are removed") {
  CHECK(printable("bell\x07 back\b\b\bspace\r\x7f") == "bell backspace");
  CHECK(printable("csi8\xc2\x9b" "31m") == "csi831m");                  // U+009B encoded
  CHECK(printable("raw\x9b" "31m") == "raw?31m");                       // a lone C1 byte
  CHECK(printable("bidi\xe2\x80\xae" "evil") == "bidievil");               // U+202E
  CHECK(printable(std::string_view("nul\0x", 5)) == "nulx");
}

TEST_CASE("printable: text, UTF-8 and line breaks") {
  CHECK(printable("https://example.com/device?code=ABCD-1234") == "https://example.com/device?code=ABCD-1234");
  CHECK(printable("flx_…a1b2 — ok ✓") == "flx_…a1b2 — ok ✓");
  CHECK(printable("bad\xff\xfeutf8\xc0\xaf") == "bad??utf8??");
  CHECK(printable("one\ntwo\tthree") == "one two three");
  CHECK(printable("one\ntwo\tthree", LineBreaks::keep) == "one\ntwo\tthree");
}

}  // TEST_SUITE
