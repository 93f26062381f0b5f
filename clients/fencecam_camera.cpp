// fencecam-camera: the reference camera client. V4L2 capture buffers go to
// the compositor as dma-bufs (no copy anywhere), each frame tagged with how
// the compositor knows it is complete, and each buffer returns to the camera
// only once the compositor has stopped reading it.
//
//   fencecam-camera [--camera PATH-OR-NAME] [--sync explicit|implicit|none]
//                   [--ahead | --no-ahead] [--frames N | --seconds N] [-V]
//
// The loop, per frame, in one of two orders (commit_order.hpp):
//   after DQBUF  VIDIOC_DQBUF (the frame is complete) -> wl_surface.attach +
//                commit, with a wp_presentation feedback -> ... -> buffer
//                released -> VIDIOC_QBUF;
//   ahead        VIDIOC_QBUF -> commit at once, gated by the camera's pending
//                write fence: the compositor holds the commit until the
//                camera signals it, whatever this process is doing then.
//                Several commits are in flight; DQBUF only takes the buffer
//                back from V4L2, and a buffer is queued again once it is
//                both dequeued and released.
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
// On exit it prints one line: frames presented, discarded, the latency to
// the presentation time the compositor reports from DQBUF (the moment this
// process learnt the frame was complete; vivid's own buffer timestamps are
// not reliable under emulation) or, ahead, from the fence's signal time, and
// which order was used.
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
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "camera_description.hpp"
#include "camera_lookup.hpp"
#include "camera_mode_choice.hpp"
#include "camera_options.hpp"
#include "commit_order.hpp"
#include "dmabuf_feedback.hpp"
#include "format_choice.hpp"
#include "latency_summary.hpp"
#include "sync_file.hpp"
#include "syncobj_timeline.hpp"
#include "v4l2_camera.hpp"
#include "wayland_display.hpp"

namespace fencecam::client {

namespace {

UniqueFd duplicate(const UniqueFd &fd) {
    return UniqueFd(fd ? fcntl(fd.get(), F_DUPFD_CLOEXEC, 0) : -1);
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
    std::string summary() const;

  private:
    struct Frame;
    // One wl_buffer of a camera buffer. A frame has one; a second one only
    // when it must be committed again while an earlier commit of it is
    // still held (after a stall): a wl_buffer.release then says which
    // commit the compositor is done with.
    struct Attachment {
        CameraClient *client = nullptr;
        unsigned id = 0; // its syncobj timeline (explicit sync)
        Frame *frame = nullptr;
        wl_buffer *buffer = nullptr;
        bool with_compositor = false;
        UniqueFd released; // explicit: readable once the release point signalled
    };
    // One camera buffer and where it is.
    struct Frame {
        unsigned index = 0;
        std::vector<std::unique_ptr<Attachment>> attachments;
        bool in_camera = false; // queued, not dequeued yet
        // Ahead: the write fences its last ahead commit is gated by.
        UniqueFd gate;
        bool with_compositor() const {
            return std::any_of(attachments.begin(), attachments.end(),
                               [](const auto &attachment) { return attachment->with_compositor; });
        }
    };
    // One wp_presentation_feedback in flight.
    struct Feedback {
        CameraClient *client;
        int64_t capture_ns; // after DQBUF: when DQBUF returned the frame
        UniqueFd gate;      // ahead: the fence, whose signal time is the capture time
    };

    bool start_camera(uint32_t format, std::string &error);
    Attachment &add_attachment(Frame &frame);
    bool choose_order(std::string &error);
    void stop_camera();
    bool handle_camera(std::string &error);
    bool handle_camera_ahead(std::string &error);
    bool stalled() const;
    bool restart_stalled_camera(std::string &error);
    UniqueFd write_fences(const Frame &frame) const;
    void commit(Frame &frame, UniqueFd fences, int64_t capture_ns, bool ahead);
    void queue(Frame &frame);
    void released(Attachment &attachment);
    void handle_feedback_done();
    void presented(const Feedback &feedback, int64_t present_ns, bool zero_copy);
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
    std::optional<OrderChoice> order_;     // chosen at the first start
    LatencySummary summary_;
    long committed_ = 0;
    long committed_ahead_ = 0;
    long errored_ = 0;           // V4L2_BUF_FLAG_ERROR frames
    long errored_presented_ = 0; // ahead: presented although their fence failed
    long recommitted_ = 0;       // ahead: failed gate, intact frame, committed after DQBUF
    long stall_restarts_ = 0;
    // Ahead: when the camera last delivered a frame (or started streaming).
    int64_t last_frame_ns_ = 0;
    int64_t stall_bound_ns_ = 0; // ahead_stall_bound_ns of the camera's rate
    // Ahead, after a stall restart: commit after DQBUF until a frame arrives,
    // so that nothing waits in the compositor on a camera that may still be
    // stalled.
    bool ahead_paused_ = false;
    long in_flight_feedback_ = 0;
    unsigned attachments_made_ = 0;
    bool draining_ = false;
    int64_t started_ns_ = 0;
};

const wl_buffer_listener CameraClient::buffer_listener{
    // The compositor no longer reads the buffer. With explicit sync the
    // release point says the same, and is what counts.
    [](void *data, wl_buffer *) {
        auto *attachment = static_cast<Attachment *>(data);
        if (attachment->client->options_.sync != SyncMode::explicit_sync) {
            attachment->client->released(*attachment);
        }
    }};

const wp_presentation_feedback_listener CameraClient::feedback_listener{
    [](void *, struct wp_presentation_feedback *, wl_output *) {}, // sync_output
    // presented: the frame was on screen from this time on.
    [](void *data, struct wp_presentation_feedback *feedback, uint32_t tv_sec_hi,
       uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t, uint32_t, uint32_t, uint32_t flags) {
        std::unique_ptr<Feedback> state(static_cast<Feedback *>(data));
        const int64_t seconds = (int64_t(tv_sec_hi) << 32) | tv_sec_lo;
        state->client->presented(*state, seconds * 1000000000 + tv_nsec,
                                 flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY);
        --state->client->in_flight_feedback_;
        wp_presentation_feedback_destroy(feedback);
    },
    // discarded: replaced by a newer frame before it was shown (or, ahead,
    // withheld because its fence failed).
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
            error = "no camera: no V4L2 capture device in /dev (use --camera)";
            return false;
        }
        options_.device = devices.front();
    } else if (!names_a_path(options_.device)) {
        const CameraLookup found = find_camera(options_.device, describe_cameras());
        if (found.path.empty()) {
            error = found.error;
            return false;
        }
        options_.device = found.path;
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
    // The window's size, so that the frames can be scanned out as they are,
    // if the camera offers it in this format; the highest rate at the size.
    ModeWanted wanted;
    wanted.composite_formats = {drm_format};
    wanted.width = wayland_.width();
    wanted.height = wayland_.height();
    wanted.size_from = "the window's size";
    // The output's refresh rate is known only once a frame was presented;
    // most displays run at 60 Hz, and a camera frame faster than the display
    // is replaced before any vblank shows it.
    wanted.max_fps = 60;
    const ModeResult picked =
        choose_camera_mode(describe_camera(camera_->fd(), options_.device), wanted);
    if (!picked.choice) {
        error = picked.error;
        return false;
    }
    CaptureRequest request;
    request.width = picked.choice->width;
    request.height = picked.choice->height;
    request.interval = picked.choice->interval;
    if (!camera_->configure({drm_format}, request, error)) {
        return false;
    }
    std::fprintf(stderr, "fencecam-camera: picked %s %dx%d: %s\n",
                 fourcc_name(picked.choice->drm_fourcc).c_str(), picked.choice->width,
                 picked.choice->height, picked.choice->why.c_str());
    const CameraFormat &format = camera_->format();
    for (unsigned index = 0; index < camera_->buffers().size(); ++index) {
        auto frame = std::make_unique<Frame>();
        frame->index = index;
        add_attachment(*frame);
        frames_.push_back(std::move(frame));
        if (!camera_->queue(index)) {
            error = camera_->failure();
            return false;
        }
        frames_.back()->in_camera = true;
    }
    if (!camera_->stream_on()) {
        error = camera_->failure();
        return false;
    }
    last_frame_ns_ = now_ns(CLOCK_MONOTONIC);
    stall_bound_ns_ = ahead_stall_bound_ns(camera_->frame_period_ns());
    std::fprintf(stderr, "fencecam-camera: %s (%s), %dx%d %c%c%c%c, %zu buffers\n",
                 camera_->path().c_str(), camera_->card().c_str(), format.width, format.height,
                 format.drm_fourcc & 0xff, (format.drm_fourcc >> 8) & 0xff,
                 (format.drm_fourcc >> 16) & 0xff, (format.drm_fourcc >> 24) & 0xff,
                 frames_.size());
    if (!order_ && !choose_order(error)) {
        return false;
    }
    // Ahead: the buffers just queued go to the compositor now, in the
    // order the camera fills them.
    if (order_->order == CommitOrder::ahead && !ahead_paused_) {
        for (auto &frame : frames_) {
            if (UniqueFd fences = write_fences(*frame);
                fences && read_sync_file(fences.get()).status == FenceState::Status::pending) {
                commit(*frame, std::move(fences), 0, true);
            }
        }
    }
    return true;
}

// A wl_buffer for the frame's dma-bufs. create_immed: a buffer the
// compositor cannot take is a protocol error, reported by the next dispatch.
CameraClient::Attachment &CameraClient::add_attachment(Frame &frame) {
    const CameraFormat &format = camera_->format();
    const CameraBuffer &buffer = camera_->buffers()[frame.index];
    zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(wayland_.dmabuf());
    for (unsigned plane = 0; plane < format.planes.size(); ++plane) {
        const PlaneLayout &layout = format.planes[plane];
        zwp_linux_buffer_params_v1_add(
            params, buffer.dmabufs[layout.memory_plane].get(), plane, layout.offset, layout.stride,
            uint32_t(DRM_FORMAT_MOD_LINEAR >> 32), uint32_t(DRM_FORMAT_MOD_LINEAR & 0xffffffff));
    }
    auto attachment = std::make_unique<Attachment>();
    attachment->client = this;
    attachment->id = attachments_made_++;
    attachment->frame = &frame;
    attachment->buffer = zwp_linux_buffer_params_v1_create_immed(
        params, format.width, format.height, format.drm_fourcc, 0);
    zwp_linux_buffer_params_v1_destroy(params);
    wl_buffer_add_listener(attachment->buffer, &buffer_listener, attachment.get());
    frame.attachments.push_back(std::move(attachment));
    return *frame.attachments.back();
}

// The queue said at VIDIOC_REQBUFS whether it attaches release fences: it
// offers V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES and kept our
// V4L2_MEMORY_FLAG_RELEASE_FENCES, as the built-in camera detects it.
bool CameraClient::choose_order(std::string &error) {
    std::optional<std::string> evidence;
    if (camera_->release_fences().enabled) {
        evidence = "V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES, opted in with "
                   "V4L2_MEMORY_FLAG_RELEASE_FENCES";
    }
    order_ = choose_commit_order(options_.ahead, options_.sync != SyncMode::none, evidence);
    if (order_->error) {
        error = "--ahead: " + order_->why + "; use a kernel with videobuf2 release fences, or " +
                "--no-ahead";
        return false;
    }
    std::fprintf(stderr, "fencecam-camera: committing %s: %s\n",
                 order_->order == CommitOrder::ahead ? "ahead of completion, right after QBUF"
                                                     : "after DQBUF",
                 order_->why.c_str());
    if (order_->order == CommitOrder::ahead) {
        std::fprintf(stderr, "fencecam-camera: camera fences %s\n",
                     camera_->release_fences().from_qbuf
                         ? "from VIDIOC_QBUF (V4L2_BUF_FLAG_OUT_FENCE), the first ones exported "
                           "from the dma-bufs (buffers queued before STREAMON)"
                         : "exported from the dma-bufs (DMA_BUF_IOCTL_EXPORT_SYNC_FILE: the queue "
                           "does not offer V4L2_BUF_CAP_SUPPORTS_OUT_FENCE)");
    }
    return true;
}

// Buffers still on screen keep their memory: the compositor holds the
// dma-bufs, and vb2 frees a buffer only when its last reference goes.
void CameraClient::stop_camera() {
    for (auto &frame : frames_) {
        for (auto &attachment : frame->attachments) {
            wl_buffer_destroy(attachment->buffer);
            if (timeline_) {
                timeline_->forget(attachment->id);
            }
        }
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
void CameraClient::presented(const Feedback &feedback, int64_t present_ns, bool zero_copy) {
    int64_t capture_ns = feedback.capture_ns;
    if (feedback.gate) {
        // Ahead: the frame was complete when its fence signalled. A fence
        // that failed must never have let its frame on screen.
        const FenceState gate = read_sync_file(feedback.gate.get());
        errored_presented_ += gate.status == FenceState::Status::error;
        capture_ns = gate.timestamp_ns;
    }
    summary_.presented(capture_ns, present_ns, zero_copy);
    if (options_.verbose && zero_copy_ != zero_copy) {
        std::fprintf(stderr, "fencecam-camera: frames presented %s from #%zu on\n",
                     zero_copy ? "zero-copy" : "composited", summary_.presented_count());
    }
    zero_copy_ = zero_copy;
}

// The write fences of every plane of the frame, as one sync_file; empty if
// the kernel cannot export them.
UniqueFd CameraClient::write_fences(const Frame &frame) const {
    UniqueFd fences;
    for (const UniqueFd &dmabuf : camera_->buffers()[frame.index].dmabufs) {
        UniqueFd plane = export_write_fences(dmabuf.get());
        fences = !plane || !fences ? std::move(plane) : merge_sync_files(fences.get(), plane.get());
        if (!fences) {
            break;
        }
    }
    return fences;
}

// Attach, damage, feedback, commit. `fences` are what the acquire point
// waits for (explicit sync; none: signalled at once); ahead, they are also
// kept as the frame's gate, to check and time it once it is presented.
void CameraClient::commit(Frame &frame, UniqueFd fences, int64_t capture_ns, bool ahead) {
    auto free = std::find_if(frame.attachments.begin(), frame.attachments.end(),
                             [](const auto &attachment) { return !attachment->with_compositor; });
    Attachment &attachment = free != frame.attachments.end() ? **free : add_attachment(frame);
    if (timeline_) {
        attachment.released = timeline_->set_points(attachment.id, fences ? fences.get() : -1);
    }
    auto *feedback = wp_presentation_feedback(wayland_.presentation(), wayland_.surface());
    wp_presentation_feedback_add_listener(
        feedback, &feedback_listener,
        new Feedback{this, capture_ns, ahead ? duplicate(fences) : UniqueFd()});
    ++in_flight_feedback_;
    wl_surface_attach(wayland_.surface(), attachment.buffer, 0, 0);
    wl_surface_damage_buffer(wayland_.surface(), 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(wayland_.surface());
    attachment.with_compositor = true;
    committed_ahead_ += ahead;
    frame.gate = ahead ? std::move(fences) : UniqueFd();
    ++committed_;
}

// To the camera, and ahead straight to the compositor too, gated by the
// fence the camera has just attached. A buffer whose fence has signalled
// already (the camera was that quick) waits for DQBUF instead: a fence gone
// from the dma-buf could not tell the compositor about an error.
void CameraClient::queue(Frame &frame) {
    if (!camera_ || draining_) {
        return;
    }
    // Paused after a stall, frames go after DQBUF until the camera is back.
    const bool ahead = order_->order == CommitOrder::ahead && !ahead_paused_;
    // Ahead, the fence straight from QBUF where the kernel hands it out.
    UniqueFd fences;
    if (!camera_->queue(frame.index, ahead ? &fences : nullptr)) {
        return; // the camera has failed: the poll loop reports it, once
    }
    frame.in_camera = true;
    frame.gate.reset();
    if (!ahead) {
        return;
    }
    if (!fences) {
        fences = write_fences(frame);
    }
    if (fences && read_sync_file(fences.get()).status == FenceState::Status::pending) {
        commit(frame, std::move(fences), 0, true);
    }
}

// The compositor is done with one commit of the frame: the buffer goes back
// to the camera once no commit of it is left and V4L2 has returned it.
void CameraClient::released(Attachment &attachment) {
    attachment.with_compositor = false;
    attachment.released.reset();
    Frame &frame = *attachment.frame;
    if (!frame.with_compositor() && !frame.in_camera) {
        queue(frame);
    }
}

// After DQBUF: every completed buffer is dequeued; only the newest is shown,
// the older ones go straight back: showing a stale frame would only add
// latency.
bool CameraClient::handle_camera(std::string &error) {
    if (order_->order == CommitOrder::ahead) {
        return handle_camera_ahead(error);
    }
    std::optional<Dequeued> newest;
    while (auto dequeued = camera_->dequeue()) {
        frames_[dequeued->index]->in_camera = false;
        if (newest) {
            queue(*frames_[newest->index]);
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
    Frame &frame = *frames_[newest->index];
    if (newest->error) {
        // V4L2_BUF_FLAG_ERROR: a corrupt frame is never shown.
        ++errored_;
        queue(frame);
        return true;
    }
    commit(frame, write_fences(frame), capture_ns, false);
    return true;
}

// Ahead: the frames are with the compositor already; DQBUF takes each
// buffer back from V4L2, to be queued again once released too. A frame that
// did not go ahead (its fence had signalled by QBUF's return), or whose
// ahead commit was withheld because its fence failed although V4L2 then
// delivered it intact, is committed now, the
// old way: nothing else would ever replace the withheld commits.
bool CameraClient::handle_camera_ahead(std::string &error) {
    while (auto dequeued = camera_->dequeue()) {
        Frame &frame = *frames_[dequeued->index];
        frame.in_camera = false;
        last_frame_ns_ = now_ns(CLOCK_MONOTONIC);
        if (dequeued->error) {
            ++errored_; // its fence failed too: the compositor withholds it
        } else if (!frame.gate ||
                   read_sync_file(frame.gate.get()).status != FenceState::Status::signalled) {
            recommitted_ += bool(frame.gate);
            commit(frame, UniqueFd(), now_ns(static_cast<clockid_t>(wayland_.presentation_clock())),
                   false);
            ahead_paused_ = false; // the camera delivers again
        }
        if (!frame.with_compositor()) {
            queue(frame);
        }
    }
    if (camera_->failed()) {
        error = camera_->failure();
        return false;
    }
    return true;
}

// Ahead: commits wait in the compositor on fences that only the camera
// signals, and nothing has come out of the camera for longer than a late
// frame could explain.
bool CameraClient::stalled() const {
    if (!camera_ || order_->order != CommitOrder::ahead || ahead_paused_ || draining_) {
        return false;
    }
    const bool waiting = std::any_of(frames_.begin(), frames_.end(), [](const auto &frame) {
        return frame->in_camera && frame->gate;
    });
    return waiting && now_ns(CLOCK_MONOTONIC) - last_frame_ns_ > stall_bound_ns_;
}

// A stalled camera (no input signal, a sensor that stopped): closing it
// stops streaming, and the kernel signals every pending release fence with
// -EIO. The compositor withholds the commits those fences gated and drops
// them with the next good one, where it would otherwise hold them until its
// own bound and disconnect this client. The camera is opened again at once;
// until it delivers a frame, frames are committed after DQBUF, so nothing
// waits in the compositor meanwhile however long the stall lasts. An
// unplugged camera fails to open: the caller reports that and exits.
bool CameraClient::restart_stalled_camera(std::string &error) {
    const uint32_t format = camera_->format().drm_fourcc;
    std::fprintf(stderr,
                 "fencecam-camera: %s delivered no frame for %lld ms: restarting it (its queued "
                 "frames fail; the compositor drops their commits); committing after DQBUF until "
                 "it delivers again\n",
                 options_.device.c_str(),
                 static_cast<long long>((now_ns(CLOCK_MONOTONIC) - last_frame_ns_) / 1000000));
    ++stall_restarts_;
    ahead_paused_ = true;
    stop_camera();
    return start_camera(format, error);
}

std::string CameraClient::summary() const {
    const bool ahead = order_ && order_->order == CommitOrder::ahead;
    std::string line = summary_.line(ahead ? "fence" : "DQBUF");
    char order[256];
    if (ahead) {
        std::snprintf(order, sizeof order,
                      "; committed ahead: %ld of %ld commits before completion; errored frames: "
                      "%ld, %ld of them presented; %ld recommitted after a failed fence; %ld "
                      "restarts after a stall",
                      committed_ahead_, committed_, errored_, errored_presented_, recommitted_,
                      stall_restarts_);
    } else {
        std::snprintf(order, sizeof order, "; committed after DQBUF; errored frames: %ld",
                      errored_);
    }
    return line + order;
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
        if (camera_->failed()) {
            error = camera_->failure(); // unplugged, say
            return false;
        }
        if (stalled() && !restart_stalled_camera(error)) {
            return false;
        }
        if (!draining_until && done()) {
            // Nothing is queued any more. Ahead, the frames in the camera are
            // committed already: let it finish them.
            draining_ = true;
            if (order_->order != CommitOrder::ahead) {
                camera_->stream_off();
            }
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
        const bool camera_done = draining_ && order_->order != CommitOrder::ahead;
        std::vector<pollfd> fds{{wayland_.fd(), POLLIN, 0},
                                {signal_fd.get(), POLLIN, 0},
                                {camera_done ? -1 : camera_->fd(), POLLIN, 0}};
        std::vector<Attachment *> attachments;
        for (const auto &frame : frames_) {
            for (const auto &attachment : frame->attachments) {
                attachments.push_back(attachment.get());
                fds.push_back({attachment->released ? attachment->released.get() : -1, POLLIN, 0});
            }
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
        for (size_t i = 0; i < attachments.size(); ++i) {
            if (fds[i + 3].revents && attachments[i]->with_compositor) {
                released(*attachments[i]);
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
    const ParseResult parsed = parse_options({argv, static_cast<size_t>(argc)});
    if (!parsed.error.empty()) {
        std::fprintf(stderr, "fencecam-camera: %s\n", parsed.error.c_str());
        return 2;
    }
    const Options &options = parsed.options;
    if (options.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    if (options.version) {
        std::printf("fencecam-camera %s\n", FENCECAM_VERSION);
        return 0;
    }
    if (options.list_cameras) {
        std::fputs(fencecam::camera_list_text(fencecam::describe_cameras()).c_str(), stdout);
        return 0;
    }
    if (options.debug) {
        // libwayland reads it when the display is connected.
        setenv("WAYLAND_DEBUG", "client", 1);
    }
    CameraClient client(options);
    std::string error;
    if (!client.start(error) || !client.run(error)) {
        std::fprintf(stderr, "fencecam-camera: %s\n", error.c_str());
        std::fprintf(stderr, "fencecam-camera: %s\n", client.summary().c_str());
        return 1;
    }
    std::printf("fencecam-camera: %s\n", client.summary().c_str());
    return 0;
}
