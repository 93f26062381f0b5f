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
    // --camera: a path, a /dev/v4l/by-id path or part of a camera's name;
    // empty: the first capture device.
    std::string device;
    SyncMode sync = SyncMode::explicit_sync;
    int frames = 0;            // 0: no limit
    int seconds = 0;           // 0: no limit
    std::optional<bool> ahead; // --ahead / --no-ahead; neither: detect
    bool verbose = false;      // feedbacks and presentation changes
    bool debug = false;        // also the Wayland protocol, as WAYLAND_DEBUG=client
    bool help = false;
    bool version = false;
    bool list_cameras = false; // --list-cameras: describe every camera and exit
};

struct ParseResult {
    Options options;
    std::string error; // one line; empty when parsing succeeded
};

ParseResult parse_options(std::span<const char *const> args);
std::string usage();

} // namespace fencecam::client
