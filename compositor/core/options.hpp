// Command-line options. Parsing is kept free of wlroots so that it can be
// unit-tested, and every mistake is reported as one line a person can act on.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "camera_source_options.hpp"

namespace fencecam {

struct OutputMode {
    int width = 0;
    int height = 0;
    int refresh_mhz = 0; // 0: whatever the backend prefers for that size
};

struct Options {
    std::optional<OutputMode> mode;
    CameraOptions camera;
    std::string socket; // empty: the first free wayland-N
    std::string stats;  // --stats FILE: one JSON line a frame
    // Benchmarks: read the completion time vivid stamps into each frame
    // (completion_stamp.hpp). Maps frames for the CPU, so never by default.
    bool completion_stamps = false;
    // How long a client's commit may wait for its buffer's fences (implicit
    // write fences, or a syncobj acquire point) before the client is
    // disconnected: far beyond any frame period, so only a broken producer
    // reaches it, yet short enough that a stuck surface is noticed.
    int client_fence_timeout_ms = 5000;
    bool hud = false; // --hud: start with the HUD shown
    // Ctrl+Alt+BackSpace quits unless --no-quit-key: a kiosk whose user must
    // not end the session turns it off and is stopped by its service manager.
    bool quit_key = true;
    int log_level = 1; // 0 silent, 1 errors, 2 info, 3 debug (wlr_log_importance)
    bool help = false;
    bool version = false;
    bool list_cameras = false;        // --list-cameras: describe every camera and exit
    std::vector<std::string> command; // started as a client once the display is up
    // fencecam ends when COMMAND does, with its exit status, unless
    // --keep-running: then it stays up for other clients.
    bool keep_running = false;
    // The compositor's thread runs at a real-time priority where it may
    // (realtime_scheduling.hpp) unless --no-realtime.
    bool realtime = true;
};

struct ParseResult {
    Options options;
    std::string error; // empty when parsing succeeded
};

ParseResult parse_options(std::span<const char *const> args);
std::optional<OutputMode> parse_mode(const std::string &text);
std::optional<SyncChoice> parse_sync(const std::string &text);
std::string usage();

} // namespace fencecam
