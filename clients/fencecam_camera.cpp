// fencecam-camera: the reference camera client. V4L2 capture buffers go to
// the compositor as dma-bufs (no copy anywhere), each frame tagged with how
// the compositor knows it is complete, and each buffer returns to the camera
// only once the compositor has stopped reading it.
//
//   fencecam-camera [--device /dev/videoN] [--sync explicit|implicit|none]
//                   [--frames N | --seconds N] [-v]
//
// The loop, per frame:
//   VIDIOC_DQBUF (the frame is complete) -> wl_surface.attach + commit,
//   with a wp_presentation feedback -> ... -> buffer released -> VIDIOC_QBUF.
// What "released" and "complete" mean depends on --sync:
//   explicit  acquire point = the dma-buf's write fence (a sync_file moved
//             onto a syncobj timeline point); release point = a second point
//             the compositor signals when done; QBUF when it has signalled
//             (syncobj_timeline.hpp);
//   implicit  the compositor reads the dma-buf's own write fences (fencecam's
//             implicit-sync waiter holds the commit until they signal); QBUF
//             on wl_buffer.release;
//   none      as implicit on the wire, for compositors that ignore fences:
//             the frame is complete because DQBUF returned it.
// Unlike weston-simple-dmabuf-v4l it never blocks: the camera, the
// compositor connection and the release points share one poll().
//
// The format follows the compositor's dma-buf feedback for the surface: the
// best pick at start, and again on each new feedback (format_choice.hpp); a
// changed pick restarts the camera with it.
//
// On exit it prints one line: frames presented, discarded, and the latency
// from DQBUF (the moment this process learnt the frame was complete; vivid's
// own buffer timestamps are not reliable under emulation) to the
// presentation time the compositor reports.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <drm_fourcc.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "dmabuf_feedback.hpp"
#include "format_choice.hpp"
#include "latency_summary.hpp"
#include "syncobj_timeline.hpp"
#include "v4l2_camera.hpp"
#include "wayland_display.hpp"

namespace fencecam::client {

namespace {

enum class SyncMode { explicit_sync, implicit_sync, none };

struct Options {
    std::string device;
    SyncMode sync = SyncMode::explicit_sync;
    long frames = 0;  // 0: no limit
    long seconds = 0; // 0: no limit
    bool verbose = false;
};

const char *usage = "usage: fencecam-camera [--device /dev/videoN] [--sync explicit|implicit|none] "
                    "[--frames N | --seconds N] [-v]";

std::optional<Options> parse_options(int argc, char **argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (arg == "--help" || arg == "-h") {
            std::printf("%s\n", usage);
            std::exit(0);
        }
        if (arg == "--verbose" || arg == "-v") {
            options.verbose = true;
            continue;
        }
        if (!value) {
            return std::nullopt;
        }
        ++i;
        if (arg == "--device") {
            options.device = value;
        } else if (arg == "--sync") {
            const std::string mode = value;
            if (mode == "explicit") {
                options.sync = SyncMode::explicit_sync;
            } else if (mode == "implicit") {
                options.sync = SyncMode::implicit_sync;
            } else if (mode == "none") {
                options.sync = SyncMode::none;
            } else {
                return std::nullopt;
            }
        } else if (arg == "--frames") {
            options.frames = std::strtol(value, nullptr, 10);
        } else if (arg == "--seconds") {
            options.seconds = std::strtol(value, nullptr, 10);
        } else {
            return std::nullopt;
        }
    }
    return options;
}

int64_t now_ns(clockid_t clock) {
    timespec now;
    clock_gettime(clock, &now);
    return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// The DRM formats the camera can produce, whatever its current format: what
// each new feedback is matched against.
std::vector<uint32_t> produced_formats(const V4l2Camera &camera) {
    std::vector<uint32_t> formats;
    for (uint32_t type : {V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE}) {
        v4l2_fmtdesc desc{};
        desc.type = type;
        while (ioctl(camera.fd(), VIDIOC_ENUM_FMT, &desc) == 0) {
            if (uint32_t format = drm_format_for_v4l2(desc.pixelformat);
                format && std::find(formats.begin(), formats.end(), format) == formats.end()) {
                formats.push_back(format);
            }
            ++desc.index;
        }
    }
    return formats;
}

std::string format_list(const std::vector<uint32_t> &formats) {
    std::string list;
    for (uint32_t format : formats) {
        list += (list.empty() ? "" : " ") + fourcc_name(format);
    }
    return "[" + list + "]";
}

class CameraClient {
  public:
    explicit CameraClient(const Options &options)
        : options_(options) {}
    ~CameraClient() { stop_camera(); }

    bool start(std::string &error);
    // Runs until the frame or time limit, SIGINT/SIGTERM, or an error.
    bool run(std::string &error);
    std::string summary() const { return summary_.line("DQBUF"); }

  private:
    // One camera buffer and where it is.
    struct Frame {
        CameraClient *client = nullptr;
        unsigned index = 0;
        wl_buffer *buffer = nullptr;
        bool with_compositor = false;
        UniqueFd released; // explicit: readable once the release point signalled
    };
    // One wp_presentation_feedback in flight.
    struct Feedback {
        CameraClient *client;
        int64_t capture_ns;
    };

    bool start_camera(uint32_t format, std::string &error);
    void stop_camera();
    bool handle_camera(std::string &error);
    void show(Frame &frame, int64_t capture_ns);
    void give_back(Frame &frame);
    void handle_feedback_done();
    void presented(int64_t capture_ns, int64_t present_ns, bool zero_copy);
    bool done() const;

    static const wl_buffer_listener buffer_listener;
    static const wp_presentation_feedback_listener feedback_listener;

    Options options_;
    WaylandDisplay wayland_;
    std::unique_ptr<DmabufFeedback> feedback_;
    std::unique_ptr<SyncobjTimeline> timeline_;
    std::unique_ptr<V4l2Camera> camera_;
    std::vector<std::unique_ptr<Frame>> frames_;
    std::vector<uint32_t> camera_formats_; // what the camera can produce
    std::optional<uint32_t> switch_to_;    // a better format, from the last feedback
    std::optional<bool> zero_copy_;        // how the last frame reached the screen
    LatencySummary summary_;
    long committed_ = 0;
    long in_flight_feedback_ = 0;
    int64_t started_ns_ = 0;
};

const wl_buffer_listener CameraClient::buffer_listener{
    // The compositor no longer reads the buffer. With explicit sync the
    // release point says the same, and is what counts.
    [](void *data, wl_buffer *) {
        auto *frame = static_cast<Frame *>(data);
        if (frame->client->options_.sync != SyncMode::explicit_sync) {
            frame->client->give_back(*frame);
        }
    }};

const wp_presentation_feedback_listener CameraClient::feedback_listener{
    [](void *, struct wp_presentation_feedback *, wl_output *) {}, // sync_output
    // presented: the frame was on screen from this time on.
    [](void *data, struct wp_presentation_feedback *feedback, uint32_t tv_sec_hi,
       uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t, uint32_t, uint32_t, uint32_t flags) {
        std::unique_ptr<Feedback> state(static_cast<Feedback *>(data));
        const int64_t seconds = (int64_t(tv_sec_hi) << 32) | tv_sec_lo;
        state->client->presented(state->capture_ns, seconds * 1000000000 + tv_nsec,
                                 flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY);
        --state->client->in_flight_feedback_;
        wp_presentation_feedback_destroy(feedback);
    },
    // discarded: replaced by a newer frame before it was shown.
    [](void *data, struct wp_presentation_feedback *feedback) {
        std::unique_ptr<Feedback> state(static_cast<Feedback *>(data));
        state->client->summary_.discarded();
        --state->client->in_flight_feedback_;
        wp_presentation_feedback_destroy(feedback);
    },
};

bool CameraClient::start(std::string &error) {
    if (options_.device.empty()) {
        const auto devices = V4l2Camera::capture_devices();
        if (devices.empty()) {
            error = "no camera: no V4L2 capture device in /dev (use --device)";
            return false;
        }
        options_.device = devices.front();
    }
    // Open the camera first: a missing or busy camera is the likeliest
    // failure, and needs no compositor to report.
    camera_ = V4l2Camera::open(options_.device, error);
    if (!camera_) {
        return false;
    }
    camera_formats_ = produced_formats(*camera_);
    if (!wayland_.connect(options_.sync == SyncMode::explicit_sync, error) ||
        !wayland_.create_window(("fencecam-camera " + options_.device).c_str(), error)) {
        return false;
    }
    if (options_.sync == SyncMode::explicit_sync) {
        timeline_ = std::make_unique<SyncobjTimeline>();
        if (!timeline_->create(wayland_.syncobj_manager(), wayland_.surface(), error)) {
            return false;
        }
    }
    // The formats to offer the camera come from the compositor's feedback
    // for this very surface (its scanout tranche first when fullscreen).
    feedback_ = std::make_unique<DmabufFeedback>(wayland_.dmabuf(), wayland_.surface(),
                                                 [this] { handle_feedback_done(); });
    while (!feedback_->received()) {
        if (!wayland_.dispatch(error)) {
            return false;
        }
    }
    started_ns_ = now_ns(CLOCK_MONOTONIC);
    const auto format = choose_format(feedback_->linear_formats(), camera_formats_);
    if (!format) {
        error = options_.device + " (" + camera_->card() + ") produces no format the compositor " +
                "takes with LINEAR (camera: " + format_list(camera_formats_) +
                "; compositor: " + format_list(feedback_->linear_formats()) + ")";
        return false;
    }
    return start_camera(*format, error);
}

bool CameraClient::start_camera(uint32_t drm_format, std::string &error) {
    if (!camera_) {
        camera_ = V4l2Camera::open(options_.device, error);
        if (!camera_) {
            return false;
        }
    }
    // The window's size, so that the frames can be scanned out as they are.
    CaptureRequest request;
    request.width = wayland_.width();
    request.height = wayland_.height();
    if (!camera_->configure({drm_format}, request, error)) {
        return false;
    }
    const CameraFormat &format = camera_->format();
    for (unsigned index = 0; index < camera_->buffers().size(); ++index) {
        const CameraBuffer &buffer = camera_->buffers()[index];
        zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(wayland_.dmabuf());
        for (unsigned plane = 0; plane < format.planes.size(); ++plane) {
            const PlaneLayout &layout = format.planes[plane];
            zwp_linux_buffer_params_v1_add(params, buffer.dmabufs[layout.memory_plane].get(), plane,
                                           layout.offset, layout.stride,
                                           uint32_t(DRM_FORMAT_MOD_LINEAR >> 32),
                                           uint32_t(DRM_FORMAT_MOD_LINEAR & 0xffffffff));
        }
        // create_immed: a buffer the compositor cannot take is a protocol
        // error, reported by the next dispatch.
        auto frame = std::make_unique<Frame>();
        frame->client = this;
        frame->index = index;
        frame->buffer = zwp_linux_buffer_params_v1_create_immed(params, format.width, format.height,
                                                                format.drm_fourcc, 0);
        zwp_linux_buffer_params_v1_destroy(params);
        wl_buffer_add_listener(frame->buffer, &buffer_listener, frame.get());
        frames_.push_back(std::move(frame));
        if (!camera_->queue(index)) {
            error = camera_->failure();
            return false;
        }
    }
    if (!camera_->stream_on()) {
        error = camera_->failure();
        return false;
    }
    std::fprintf(stderr, "fencecam-camera: %s (%s), %dx%d %c%c%c%c, %zu buffers\n",
                 camera_->path().c_str(), camera_->card().c_str(), format.width, format.height,
                 format.drm_fourcc & 0xff, (format.drm_fourcc >> 8) & 0xff,
                 (format.drm_fourcc >> 16) & 0xff, (format.drm_fourcc >> 24) & 0xff,
                 frames_.size());
    return true;
}

// Buffers still on screen keep their memory: the compositor holds the
// dma-bufs, and vb2 frees a buffer only when its last reference goes.
void CameraClient::stop_camera() {
    for (auto &frame : frames_) {
        wl_buffer_destroy(frame->buffer);
    }
    frames_.clear();
    camera_.reset();
}

// The compositor's preference changed (e.g. the window stopped or started
// being scanned out): pick again, and switch in the poll loop, outside the
// Wayland dispatch that brought the news, if the pick changed.
void CameraClient::handle_feedback_done() {
    if (options_.verbose) {
        std::string tranches;
        for (const DmabufFeedback::Tranche &tranche : feedback_->tranches()) {
            tranches += std::string(" ") + (tranche.scanout ? "scanout " : "") +
                        format_list(tranche.linear_formats);
        }
        std::fprintf(stderr, "fencecam-camera: dma-buf feedback, LINEAR formats by tranche:%s\n",
                     tranches.c_str());
    }
    if (!camera_ || frames_.empty()) {
        return;
    }
    const uint32_t current = camera_->format().drm_fourcc;
    switch_to_ = format_after_feedback(current, feedback_->linear_formats(), camera_formats_);
    if (options_.verbose && !switch_to_) {
        std::fprintf(stderr, "fencecam-camera: keeping %s\n", fourcc_name(current).c_str());
    }
}

// With -v, each change between zero-copy and composited presentation is
// logged: what the feedback's tranches are meant to steer.
void CameraClient::presented(int64_t capture_ns, int64_t present_ns, bool zero_copy) {
    summary_.presented(capture_ns, present_ns, zero_copy);
    if (options_.verbose && zero_copy_ != zero_copy) {
        std::fprintf(stderr, "fencecam-camera: frames presented %s from #%zu on\n",
                     zero_copy ? "zero-copy" : "composited", summary_.presented_count());
    }
    zero_copy_ = zero_copy;
}

void CameraClient::show(Frame &frame, int64_t capture_ns) {
    if (timeline_) {
        std::vector<int> dmabufs;
        for (const UniqueFd &fd : camera_->buffers()[frame.index].dmabufs) {
            dmabufs.push_back(fd.get());
        }
        const uint64_t release = timeline_->set_points(dmabufs);
        frame.released = timeline_->eventfd_for(release);
    }
    auto *feedback = wp_presentation_feedback(wayland_.presentation(), wayland_.surface());
    wp_presentation_feedback_add_listener(feedback, &feedback_listener,
                                          new Feedback{this, capture_ns});
    ++in_flight_feedback_;
    wl_surface_attach(wayland_.surface(), frame.buffer, 0, 0);
    wl_surface_damage_buffer(wayland_.surface(), 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(wayland_.surface());
    frame.with_compositor = true;
    ++committed_;
}

void CameraClient::give_back(Frame &frame) {
    frame.with_compositor = false;
    frame.released.reset();
    if (camera_ && !camera_->queue(frame.index)) {
        std::fprintf(stderr, "fencecam-camera: %s\n", camera_->failure().c_str());
    }
}

// Every completed buffer is dequeued; only the newest is shown, the older
// ones go straight back: showing a stale frame would only add latency.
bool CameraClient::handle_camera(std::string &error) {
    std::optional<Dequeued> newest;
    while (auto dequeued = camera_->dequeue()) {
        if (newest) {
            camera_->queue(newest->index);
        }
        newest = dequeued;
    }
    if (camera_->failed()) {
        error = camera_->failure();
        return false;
    }
    if (!newest) {
        return true;
    }
    const int64_t capture_ns = now_ns(static_cast<clockid_t>(wayland_.presentation_clock()));
    if (newest->error) {
        // V4L2_BUF_FLAG_ERROR: a corrupt frame is never shown.
        camera_->queue(newest->index);
        return true;
    }
    show(*frames_[newest->index], capture_ns);
    return true;
}

bool CameraClient::done() const {
    const bool enough_frames = options_.frames > 0 && committed_ >= options_.frames;
    const bool enough_time = options_.seconds > 0 && now_ns(CLOCK_MONOTONIC) - started_ns_ >=
                                                         int64_t(options_.seconds) * 1000000000;
    return enough_frames || enough_time;
}

bool CameraClient::run(std::string &error) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    UniqueFd signal_fd(signalfd(-1, &signals, SFD_CLOEXEC));

    // After the last frame, a short grace for the feedback still on its way.
    int64_t draining_until = 0;
    for (;;) {
        if (switch_to_ && !draining_until) {
            const uint32_t format = *std::exchange(switch_to_, std::nullopt);
            std::fprintf(
                stderr, "fencecam-camera: switching %s -> %s: the compositor now prefers it (%s)\n",
                fourcc_name(camera_->format().drm_fourcc).c_str(), fourcc_name(format).c_str(),
                feedback_->scanout() ? "scanout tranche first: the window can be scanned out"
                                     : "no scanout tranche: the output composites");
            stop_camera();
            if (!start_camera(format, error)) {
                return false;
            }
        }
        if (!draining_until && done()) {
            camera_->stream_off();
            draining_until = now_ns(CLOCK_MONOTONIC) + 1000000000;
        }
        if (draining_until &&
            (in_flight_feedback_ == 0 || now_ns(CLOCK_MONOTONIC) > draining_until)) {
            return true;
        }
        if (!wayland_.flush()) {
            error = "lost the compositor";
            return false;
        }
        std::vector<pollfd> fds{{wayland_.fd(), POLLIN, 0},
                                {signal_fd.get(), POLLIN, 0},
                                {draining_until ? -1 : camera_->fd(), POLLIN, 0}};
        for (const auto &frame : frames_) {
            fds.push_back({frame->released ? frame->released.get() : -1, POLLIN, 0});
        }
        if (poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) {
            error = std::string("poll: ") + std::strerror(errno);
            return false;
        }
        if (fds[1].revents) {
            return true;
        }
        if (fds[0].revents && !wayland_.dispatch(error)) {
            return false;
        }
        if (wayland_.closed()) {
            return true;
        }
        for (size_t i = 0; i < frames_.size() && i + 3 < fds.size(); ++i) {
            if (fds[i + 3].revents && frames_[i]->with_compositor) {
                give_back(*frames_[i]);
            }
        }
        if (fds[2].revents && !handle_camera(error)) {
            return false;
        }
    }
}

} // namespace

} // namespace fencecam::client

int main(int argc, char **argv) {
    using namespace fencecam::client;
    const auto options = parse_options(argc, argv);
    if (!options) {
        std::fprintf(stderr, "%s\n", usage);
        return 2;
    }
    CameraClient client(*options);
    std::string error;
    if (!client.start(error) || !client.run(error)) {
        std::fprintf(stderr, "fencecam-camera: %s\n", error.c_str());
        std::fprintf(stderr, "fencecam-camera: %s\n", client.summary().c_str());
        return 1;
    }
    std::printf("fencecam-camera: %s\n", client.summary().c_str());
    return 0;
}
