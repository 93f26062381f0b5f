// A string as a JSON string literal, quotes included.
//
// What goes into the --stats file comes partly from other processes: a
// client's name is whatever its executable is called, and a file name may
// hold quotes, backslashes, newlines or bytes that are not UTF-8. Each of
// those is escaped (control characters as \uXXXX) or, for bytes that are not
// UTF-8, replaced with U+FFFD, so that every line stays one valid JSON record.
#pragma once

#include <string>
#include <string_view>

namespace fencecam {

std::string json_string(std::string_view text);

} // namespace fencecam
