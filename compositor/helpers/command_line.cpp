#include "command_line.hpp"

#include <getopt.h>

namespace fencecam {

std::vector<char *> getopt_argv(std::span<const char *const> args) {
    std::vector<char *> argv;
    for (const char *arg : args) {
        argv.push_back(const_cast<char *>(arg));
    }
    argv.push_back(nullptr);
    // The messages are ours: one line that names the option.
    opterr = 0;
    // 0, not 1: glibc then forgets any state of an earlier parse.
    optind = 0;
    return argv;
}

std::string getopt_error(int result, std::span<char *const> argv) {
    std::string typed = optind > 0 && size_t(optind) < argv.size() ? argv[optind - 1] : "";
    typed = typed.substr(0, typed.find('='));
    if (result == ':') {
        return "option " + typed + " needs a value (try --help)";
    }
    if (optopt != 0 && typed.starts_with("--")) {
        return "option " + typed + " takes no value (try --help)";
    }
    if (optopt != 0) {
        return "unknown option '-" + std::string(1, char(optopt)) + "' (try --help)";
    }
    return "unknown option '" + typed + "' (try --help)";
}

} // namespace fencecam
