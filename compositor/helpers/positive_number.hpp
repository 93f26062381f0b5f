// A number given on the command line: digits only, no sign, no suffix, and
// above zero. Both binaries check counts, rates and timeouts with it, so a
// typo ("5s", "-1", "1e3") is refused instead of read as 0 or 5.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace fencecam {

inline std::optional<int> parse_positive(std::string_view text) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
        return std::nullopt;
    }
    return value;
}

} // namespace fencecam
