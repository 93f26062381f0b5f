#include "options.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include <getopt.h>

#include "command_line.hpp"
#include "positive_number.hpp"

namespace fencecam {

// WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, where HZ may have decimals (59.94).
std::optional<OutputMode> parse_mode(const std::string &text) {
    std::string_view rest = text;
    OutputMode mode;
    size_t at = rest.find('@');
    if (at != std::string_view::npos) {
        std::string hz(rest.substr(at + 1));
        char *end = nullptr;
        double value = std::strtod(hz.c_str(), &end);
        if (hz.empty() || *end != '\0' || !(value > 0) || value > 1000) {
            return std::nullopt;
        }
        mode.refresh_mhz = static_cast<int>(std::lround(value * 1000));
        rest = rest.substr(0, at);
    }
    size_t x = rest.find('x');
    if (x == std::string_view::npos) {
        return std::nullopt;
    }
    auto width = parse_positive(rest.substr(0, x));
    auto height = parse_positive(rest.substr(x + 1));
    if (!width || !height) {
        return std::nullopt;
    }
    mode.width = *width;
    mode.height = *height;
    return mode;
}

std::optional<SyncChoice> parse_sync(const std::string &text) {
    if (text == "auto") {
        return SyncChoice::automatic;
    } else if (text == "fence") {
        return SyncChoice::fence;
    } else if (text == "dqbuf") {
        return SyncChoice::dqbuf;
    }
    return std::nullopt;
}

std::string usage() {
    return "usage: fencecam [options] [--] [COMMAND...]\n"
           "\n"
           "A wlroots compositor that shows a camera with zero copies and fence-correct latching.\n"
           "COMMAND, if given, is started as a client once the compositor is up; fencecam\n"
           "exits when it does, with its exit status (128 + N when killed by signal N).\n"
           "\n"
           "  --mode WxH[@HZ]   output mode (a custom mode where the backend allows it)\n"
           "  --camera CAMERA   V4L2 capture device: a path, a /dev/v4l/by-id path or part\n"
           "                    of its name (default: the first one found)\n"
           "  --list-cameras    list the cameras: name, driver, by-id path, formats, sizes,\n"
           "                    rates and release fences; then exit\n"
           "  --no-camera       run without the built-in camera\n"
           "  --sync MODE       auto (default), fence (kernel release fences) or dqbuf\n"
           "  --fence-timeout MS  give up on a frame whose fence has not signalled by then\n"
           "                    (default: four periods of the camera's real rate, at\n"
           "                    least 250 ms)\n"
           "  --client-fence-timeout MS  disconnect a client whose buffer's fence (implicit\n"
           "                    or syncobj acquire point) has not signalled by then\n"
           "                    (default: 5000)\n"
           "  --size WxH        camera size (default: the output's, for direct scanout, or\n"
           "                    the nearest the camera offers in a format fencecam shows)\n"
           "  --fps N           camera frame rate (default: the highest at that size)\n"
           "  --stats FILE      write one JSON line of timings a frame (SIGHUP reopens\n"
           "                    FILE, for log rotation; SIGUSR1 logs the summary so far)\n"
           "  --completion-stamps  benchmarks: also record the completion time that vivid\n"
           "                    (stamp_completion_time=1) writes into each frame; reads\n"
           "                    frames with the CPU, so needs --stats and nothing else\n"
           "  --hud             start with the HUD (latency numbers and graph) shown\n"
           "  --no-quit-key     Ctrl+Alt+BackSpace does not quit (kiosks)\n"
           "  --keep-running    stay up when COMMAND exits\n"
           "  --no-realtime     keep the compositor at normal priority (default: SCHED_RR\n"
           "                    where allowed, so CPU load does not delay frames)\n"
           "  --socket NAME     Wayland socket name (default: the first free wayland-N)\n"
           "  -V, --verbose     log wlroots information messages\n"
           "  -d, --debug       log wlroots debug messages\n"
           "  -h, --help        show this help\n"
           "  -v, --version     show the version\n"
           "\n"
           "Keys (every other key goes to the focused client):\n"
           "  Ctrl+Alt+BackSpace  quit (unless --no-quit-key)\n"
           "  Ctrl+Alt+H          show or hide the HUD\n"
           "  Ctrl+Alt+F1..F12    switch to another VT (on a DRM session)\n"
           "\n"
           "Backends come from wlroots: DRM/KMS from a VT, a window when nested, or\n"
           "headless with WLR_BACKENDS=headless. WLR_RENDERER picks the renderer.\n";
}

namespace {

// Long-only options get values outside the range of short option letters.
enum LongOnly : int {
    opt_mode = 256,
    opt_camera,
    opt_list_cameras,
    opt_no_camera,
    opt_sync,
    opt_fence_timeout,
    opt_client_fence_timeout,
    opt_size,
    opt_fps,
    opt_stats,
    opt_completion_stamps,
    opt_hud,
    opt_no_quit_key,
    opt_keep_running,
    opt_no_realtime,
    opt_socket,
};

constexpr option long_options[] = {
    {"mode", required_argument, nullptr, opt_mode},
    {"camera", required_argument, nullptr, opt_camera},
    {"list-cameras", no_argument, nullptr, opt_list_cameras},
    {"no-camera", no_argument, nullptr, opt_no_camera},
    {"sync", required_argument, nullptr, opt_sync},
    {"fence-timeout", required_argument, nullptr, opt_fence_timeout},
    {"client-fence-timeout", required_argument, nullptr, opt_client_fence_timeout},
    {"size", required_argument, nullptr, opt_size},
    {"fps", required_argument, nullptr, opt_fps},
    {"stats", required_argument, nullptr, opt_stats},
    {"completion-stamps", no_argument, nullptr, opt_completion_stamps},
    {"hud", no_argument, nullptr, opt_hud},
    {"no-quit-key", no_argument, nullptr, opt_no_quit_key},
    {"keep-running", no_argument, nullptr, opt_keep_running},
    {"no-realtime", no_argument, nullptr, opt_no_realtime},
    {"socket", required_argument, nullptr, opt_socket},
    {"verbose", no_argument, nullptr, 'V'},
    {"debug", no_argument, nullptr, 'd'},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'v'},
    {nullptr, 0, nullptr, 0},
};

std::string option_name(int value) {
    for (const option &entry : long_options) {
        if (entry.val == value) {
            return std::string("--") + entry.name;
        }
    }
    return "?";
}

} // namespace

ParseResult parse_options(std::span<const char *const> args) {
    ParseResult result;
    Options &options = result.options;
    std::vector<char *> argv = getopt_argv(args);
    const int argc = static_cast<int>(args.size());

    auto number = [&](int id, int &out) {
        if (auto value = parse_positive(optarg)) {
            out = *value;
            return true;
        }
        result.error =
            "bad " + option_name(id) + " '" + optarg + "': expected a positive whole number";
        return false;
    };

    int c;
    // "+": stop at the first non-option, the start of COMMAND.
    while ((c = getopt_long(argc, argv.data(), "+:hvVd", long_options, nullptr)) != -1) {
        switch (c) {
        case 'h':
            options.help = true;
            break;
        case 'v':
            options.version = true;
            break;
        case 'V':
            options.log_level = std::max(options.log_level, 2);
            break;
        case 'd':
            options.log_level = 3;
            break;
        case opt_socket:
            options.socket = optarg;
            break;
        case opt_stats:
            options.stats = optarg;
            break;
        case opt_camera:
            options.camera.device = optarg;
            break;
        case opt_list_cameras:
            options.list_cameras = true;
            break;
        case opt_no_camera:
            options.camera.enabled = false;
            break;
        case opt_hud:
            options.hud = true;
            break;
        case opt_completion_stamps:
            options.completion_stamps = true;
            break;
        case opt_no_quit_key:
            options.quit_key = false;
            break;
        case opt_keep_running:
            options.keep_running = true;
            break;
        case opt_no_realtime:
            options.realtime = false;
            break;
        case opt_sync:
            if (auto sync = parse_sync(optarg)) {
                options.camera.sync = *sync;
            } else {
                result.error =
                    std::string("bad --sync '") + optarg + "': expected auto, fence or dqbuf";
                return result;
            }
            break;
        case opt_fps:
            if (!number(c, options.camera.fps)) {
                return result;
            }
            break;
        case opt_fence_timeout:
            if (!number(c, options.camera.fence_timeout_ms)) {
                return result;
            }
            break;
        case opt_client_fence_timeout:
            if (!number(c, options.client_fence_timeout_ms)) {
                return result;
            }
            break;
        case opt_size: {
            auto size = parse_mode(optarg);
            if (!size || size->refresh_mhz != 0) {
                result.error = std::string("bad --size '") + optarg + "': expected WIDTHxHEIGHT";
                return result;
            }
            options.camera.width = size->width;
            options.camera.height = size->height;
            break;
        }
        case opt_mode:
            options.mode = parse_mode(optarg);
            if (!options.mode) {
                result.error = std::string("bad --mode '") + optarg +
                               "': expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ";
                return result;
            }
            break;
        default:
            result.error = getopt_error(c, argv);
            return result;
        }
    }
    options.command.assign(args.begin() + optind, args.end());
    if (options.completion_stamps && options.stats.empty()) {
        result.error = "--completion-stamps needs --stats FILE: the stamps are recorded there";
    } else if (options.keep_running && options.command.empty()) {
        result.error = "--keep-running needs a COMMAND: it says what to do when COMMAND exits";
    }
    return result;
}

} // namespace fencecam
