#include "options.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace fencecam {

namespace {

bool parse_int(std::string_view text, int &value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && value > 0;
}

} // namespace

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
    if (x == std::string_view::npos || !parse_int(rest.substr(0, x), mode.width) ||
        !parse_int(rest.substr(x + 1), mode.height)) {
        return std::nullopt;
    }
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
    return "usage: fencecam [options] [-- COMMAND...]\n"
           "\n"
           "A wlroots compositor that shows a camera with zero copies and fence-correct latching.\n"
           "COMMAND, if given, is started as a client once the compositor is up.\n"
           "\n"
           "  --mode WxH[@HZ]   output mode (a custom mode where the backend allows it)\n"
           "  --camera DEVICE   V4L2 capture device (default: the first one found)\n"
           "  --no-camera       run without the built-in camera\n"
           "  --sync MODE       auto (default), fence (kernel release fences) or dqbuf\n"
           "  --fence-timeout MS  give up on a frame whose fence has not signalled by then\n"
           "                    (default: four periods of the camera's real rate, at\n"
           "                    least 250 ms)\n"
           "  --client-fence-timeout MS  disconnect a client whose buffer's fence (implicit\n"
           "                    or syncobj acquire point) has not signalled by then\n"
           "                    (default: 5000)\n"
           "  --size WxH        camera size (default: the output's, for direct scanout)\n"
           "  --stats FILE      write one JSON line of timings a frame\n"
           "  --completion-stamps  benchmarks: also record the completion time that vivid\n"
           "                    (stamp_completion_time=1) writes into each frame; reads\n"
           "                    frames with the CPU, so needs --stats and nothing else\n"
           "  --hud             start with the HUD (latency numbers and graph) shown;\n"
           "                    the h key shows and hides it\n"
           "  --fps N           camera frame rate (default: the camera's)\n"
           "  --socket NAME     Wayland socket name (default: the first free wayland-N)\n"
           "  -v, --verbose     log wlroots information messages\n"
           "  -d, --debug       log wlroots debug messages\n"
           "  -h, --help        show this help\n"
           "      --version     show the version\n"
           "\n"
           "Backends come from wlroots: DRM/KMS from a VT, a window when nested, or\n"
           "headless with WLR_BACKENDS=headless. WLR_RENDERER picks the renderer.\n";
}

ParseResult parse_options(std::span<const char *const> args) {
    ParseResult result;
    Options &options = result.options;
    for (size_t i = 1; i < args.size(); ++i) {
        std::string_view arg = args[i];
        auto value = [&](std::string &out) {
            if (i + 1 >= args.size()) {
                result.error = "option " + std::string(arg) + " needs a value (try --help)";
                return false;
            }
            out = args[++i];
            return true;
        };
        if (arg == "--") {
            options.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        } else if (arg == "-h" || arg == "--help") {
            options.help = true;
        } else if (arg == "--version") {
            options.version = true;
        } else if (arg == "-v" || arg == "--verbose") {
            options.log_level = 2;
        } else if (arg == "-d" || arg == "--debug") {
            options.log_level = 3;
        } else if (arg == "--socket") {
            if (!value(options.socket)) {
                return result;
            }
        } else if (arg == "--stats") {
            if (!value(options.stats)) {
                return result;
            }
        } else if (arg == "--camera") {
            if (!value(options.camera.device)) {
                return result;
            }
        } else if (arg == "--hud") {
            options.hud = true;
        } else if (arg == "--completion-stamps") {
            options.completion_stamps = true;
        } else if (arg == "--no-camera") {
            options.camera.enabled = false;
        } else if (arg == "--sync") {
            std::string text;
            if (!value(text)) {
                return result;
            }
            auto sync = parse_sync(text);
            if (!sync) {
                result.error = "bad --sync '" + text + "': expected auto, fence or dqbuf";
                return result;
            }
            options.camera.sync = *sync;
        } else if (arg == "--fence-timeout" || arg == "--client-fence-timeout" || arg == "--fps") {
            std::string text;
            int number = 0;
            if (!value(text)) {
                return result;
            }
            if (!parse_int(text, number)) {
                result.error =
                    "bad " + std::string(arg) + " '" + text + "': expected a positive number";
                return result;
            }
            (arg == "--fps"             ? options.camera.fps
             : arg == "--fence-timeout" ? options.camera.fence_timeout_ms
                                        : options.client_fence_timeout_ms) = number;
        } else if (arg == "--size") {
            std::string text;
            if (!value(text)) {
                return result;
            }
            auto size = parse_mode(text);
            if (!size || size->refresh_mhz != 0) {
                result.error = "bad --size '" + text + "': expected WIDTHxHEIGHT";
                return result;
            }
            options.camera.width = size->width;
            options.camera.height = size->height;
        } else if (arg == "--mode") {
            std::string text;
            if (!value(text)) {
                return result;
            }
            options.mode = parse_mode(text);
            if (!options.mode) {
                result.error =
                    "bad --mode '" + text + "': expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ";
                return result;
            }
        } else {
            result.error = "unknown option '" + std::string(arg) + "' (try --help)";
            return result;
        }
    }
    if (options.completion_stamps && options.stats.empty()) {
        result.error = "--completion-stamps needs --stats FILE: the stamps are recorded there";
    }
    return result;
}

} // namespace fencecam
