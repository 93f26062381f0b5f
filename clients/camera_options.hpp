// fencecam-camera's command line. The names match fencecam's for the same
// things (--camera, --sync, -V/--verbose, -d/--debug, -v/--version), and
// parsing is free of V4L2 and Wayland so that it can be unit-tested.
#pragma once

#include <optional>
#include <span>
#include <string>

namespace fencecam::client {

enum class SyncMode { explicit_sync, implicit_sync, none };

struct Options {
    std::string device; // --camera; empty: the first capture device
    SyncMode sync = SyncMode::explicit_sync;
    int frames = 0;            // 0: no limit
    int seconds = 0;           // 0: no limit
    std::optional<bool> ahead; // --ahead / --no-ahead; neither: detect
    bool verbose = false;      // feedbacks and presentation changes
    bool debug = false;        // also the Wayland protocol, as WAYLAND_DEBUG=client
    bool help = false;
    bool version = false;
};

struct ParseResult {
    Options options;
    std::string error; // one line; empty when parsing succeeded
};

ParseResult parse_options(std::span<const char *const> args);
std::string usage();

} // namespace fencecam::client
