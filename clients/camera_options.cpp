#include "camera_options.hpp"

#include <vector>

#include <getopt.h>

#include "command_line.hpp"
#include "positive_number.hpp"

namespace fencecam::client {

std::string usage() {
    return "usage: fencecam-camera [options]\n"
           "\n"
           "A camera client: V4L2 capture buffers go to the compositor as dma-bufs, each\n"
           "frame tagged with how the compositor knows it is complete.\n"
           "\n"
           "  --camera CAMERA   V4L2 capture device: a path, a /dev/v4l/by-id path or part\n"
           "                    of its name (default: the first one found)\n"
           "  --list-cameras    list the cameras: name, driver, by-id path, formats, sizes,\n"
           "                    rates and release fences; then exit\n"
           "  --sync MODE       explicit (linux-drm-syncobj acquire/release points, default),\n"
           "                    implicit (the dma-buf's own fences, wl_buffer.release) or none\n"
           "  --ahead           commit each buffer right after VIDIOC_QBUF, gated by the camera's\n"
           "                    pending write fence (needs videobuf2 release fences; an error\n"
           "                    without). The fence comes from VIDIOC_QBUF where the kernel\n"
           "                    hands it out (V4L2_BUF_CAP_SUPPORTS_OUT_FENCE), else from the\n"
           "                    dma-bufs (DMA_BUF_IOCTL_EXPORT_SYNC_FILE); a line says which\n"
           "  --no-ahead        commit each frame after VIDIOC_DQBUF\n"
           "                    neither: ahead when the camera attaches release fences, else\n"
           "                    after DQBUF; one line says which order and why, the exit line\n"
           "                    says it again\n"
           "  --frames N        stop after N commits\n"
           "  --seconds N       stop after N seconds\n"
           "  -V, --verbose     log feedbacks and presentation changes\n"
           "  -d, --debug       also log the Wayland protocol (WAYLAND_DEBUG=client)\n"
           "  -h, --help        show this help\n"
           "  -v, --version     show the version\n";
}

namespace {

enum LongOnly : int {
    opt_camera = 256,
    opt_list_cameras,
    opt_sync,
    opt_ahead,
    opt_no_ahead,
    opt_frames,
    opt_seconds,
};

constexpr option long_options[] = {
    {"camera", required_argument, nullptr, opt_camera},
    {"list-cameras", no_argument, nullptr, opt_list_cameras},
    {"sync", required_argument, nullptr, opt_sync},
    {"ahead", no_argument, nullptr, opt_ahead},
    {"no-ahead", no_argument, nullptr, opt_no_ahead},
    {"frames", required_argument, nullptr, opt_frames},
    {"seconds", required_argument, nullptr, opt_seconds},
    {"verbose", no_argument, nullptr, 'V'},
    {"debug", no_argument, nullptr, 'd'},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'v'},
    {nullptr, 0, nullptr, 0},
};

std::optional<SyncMode> parse_sync(std::string_view text) {
    if (text == "explicit") {
        return SyncMode::explicit_sync;
    } else if (text == "implicit") {
        return SyncMode::implicit_sync;
    } else if (text == "none") {
        return SyncMode::none;
    }
    return std::nullopt;
}

} // namespace

ParseResult parse_options(std::span<const char *const> args) {
    ParseResult result;
    Options &options = result.options;
    std::vector<char *> argv = getopt_argv(args);

    auto number = [&](const char *name, int &out) {
        if (auto value = parse_positive(optarg)) {
            out = *value;
            return true;
        }
        result.error =
            std::string("bad ") + name + " '" + optarg + "': expected a positive whole number";
        return false;
    };

    int c;
    while ((c = getopt_long(static_cast<int>(args.size()), argv.data(), ":hvVd", long_options,
                            nullptr)) != -1) {
        switch (c) {
        case 'h':
            options.help = true;
            break;
        case 'v':
            options.version = true;
            break;
        case 'V':
            options.verbose = true;
            break;
        case 'd':
            options.verbose = true;
            options.debug = true;
            break;
        case opt_camera:
            options.device = optarg;
            break;
        case opt_list_cameras:
            options.list_cameras = true;
            break;
        case opt_sync:
            if (auto sync = parse_sync(optarg)) {
                options.sync = *sync;
            } else {
                result.error =
                    std::string("bad --sync '") + optarg + "': expected explicit, implicit or none";
                return result;
            }
            break;
        case opt_ahead:
        case opt_no_ahead:
            options.ahead = c == opt_ahead;
            break;
        case opt_frames:
            if (!number("--frames", options.frames)) {
                return result;
            }
            break;
        case opt_seconds:
            if (!number("--seconds", options.seconds)) {
                return result;
            }
            break;
        default:
            result.error = getopt_error(c, argv);
            return result;
        }
    }
    if (optind < static_cast<int>(args.size())) {
        result.error = std::string("unexpected argument '") + args[optind] + "' (try --help)";
    } else if (options.ahead == true && options.sync == SyncMode::none) {
        result.error = "--ahead needs --sync explicit or implicit: with none nothing would keep "
                       "an unfinished frame off the screen";
    }
    return result;
}

} // namespace fencecam::client
