// getopt_long as both binaries use it: a fresh parse each call, and errors
// as one line that names the option the user typed.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace fencecam {

// A null-terminated argv for getopt_long, which wants writable pointers but
// never writes through them. Also resets getopt's state, so a parse (a
// unit test's second one) never sees an earlier one's.
std::vector<char *> getopt_argv(std::span<const char *const> args);

// The line for the error getopt_long just returned (':' for a missing
// value, '?' for an unknown option or a value given to a flag), with the
// option as typed, without any "=value".
std::string getopt_error(int result, std::span<char *const> argv);

} // namespace fencecam
