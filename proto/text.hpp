// Text that came from a server (through the agent) made safe for a terminal: no control characters.
#pragma once

#include <string>
#include <string_view>

namespace proto {

// Whether line breaks and tabs survive printable().
enum class LineBreaks { keep, drop };

// `text` without what a terminal would interpret: escape sequences (CSI, OSC, DCS and two-byte ESC x)
// removed whole, other C0 controls, DEL and C1 controls (U+0080-U+009F, raw or UTF-8 encoded)
// removed, bidirectional overrides removed, invalid UTF-8 bytes replaced by '?'. With
// LineBreaks::keep, '\n' and '\t' stay; with drop, each becomes a space.
std::string printable(std::string_view text, LineBreaks line_breaks = LineBreaks::drop);

}  // namespace proto
