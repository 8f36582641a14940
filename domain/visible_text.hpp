// Text a person reads (names, product names): what counts as blank, invisible or
// a control character beyond ASCII. Inputs are valid UTF-8 (the JSON parser has
// refused anything else).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace svc {

// Removes white space (Unicode's White_Space property: tabs, U+00A0 no-break
// space, U+3000 ideographic space, ...) and invisible zero-width characters
// (U+200B, U+FEFF, ...) from both ends.
std::string trim_blank(std::string_view s);

// True if the text holds a C0 or C1 control character (U+0000-U+001F,
// U+007F-U+009F) or a bidirectional control (U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069), which can make a name display as another.
bool has_control_or_bidi(std::string_view s);

// Code points that leave a mark: neither white space nor invisible.
std::size_t visible_length(std::string_view s);

}  // namespace svc
