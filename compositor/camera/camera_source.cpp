#include "camera_source.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <drm_fourcc.h>

#include "camera_lookup.hpp"
#include "camera_mode_choice.hpp"
#include "dmabuf_buffer.hpp"
#include "monotonic_clock.hpp"
#include "sync_file.hpp"

namespace fencecam {

namespace {

// What fencecam can put on screen, best first in each list: the formats the
// output's primary plane scans out as they are (zero copy, no GPU), and the
// formats the renderer can sample.
void add_displayable_formats(ModeWanted &wanted, const CameraHost &host) {
    static constexpr uint32_t preference[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
                                              DRM_FORMAT_NV12, DRM_FORMAT_YUYV};
    auto add_from = [&](std::vector<uint32_t> &formats, const wlr_drm_format_set *set,
                        bool any_modifier) {
        for (uint32_t format : preference) {
            bool has =
                set &&
                (wlr_drm_format_set_has(set, format, DRM_FORMAT_MOD_LINEAR) ||
                 (any_modifier && wlr_drm_format_set_has(set, format, DRM_FORMAT_MOD_INVALID)));
            if (has && std::find(formats.begin(), formats.end(), format) == formats.end()) {
                formats.push_back(format);
            }
        }
    };
    if (wlr_output *output = host.output()) {
        add_from(wanted.scanout_formats,
                 wlr_output_get_primary_formats(output, WLR_BUFFER_CAP_DMABUF), false);
    }
    add_from(wanted.composite_formats,
             wlr_renderer_get_texture_formats(host.renderer, WLR_BUFFER_CAP_DMABUF), true);
    add_from(wanted.composite_formats,
             wlr_renderer_get_texture_formats(host.renderer, WLR_BUFFER_CAP_DATA_PTR), true);
}

} // namespace

CameraSource::CameraSource(CameraHost host, wlr_scene_tree *layer, CameraOptions options,
                           CameraFrameSink &frames)
    : host_(std::move(host))
    , options_(std::move(options))
    , frames_(frames)
    , layer_(layer) {
    // "No signal": a dark red field, shown whenever no camera frame is.
    const float no_signal_color[4] = {0.30f, 0.04f, 0.04f, 1.0f};
    no_signal_ = wlr_scene_rect_create(layer_, 16384, 16384, no_signal_color);
    picture_ = wlr_scene_buffer_create(layer_, nullptr);
    frames_.watch(picture_);
    retry_timer_ = EventSource::timer(host_.loop, [this] { start(); });
    watchdog_ = EventSource::timer(host_.loop, [this] { handle_watchdog(); });
    failure_check_ = EventSource::timer(host_.loop, [this] {
        if (camera_ && camera_->failed()) {
            lose_camera(camera_->failure());
        }
    });
}

CameraSource::~CameraSource() {
    stop();
}

void CameraSource::start() {
    if (camera_) {
        return;
    }
    std::string error;
    if (open_and_stream(error)) {
        announced_missing_ = false;
        show_no_signal(false);
        return;
    }
    // A missing camera is said once, not every second.
    if (!announced_missing_) {
        std::fprintf(stderr, "fencecam: %s; showing \"no signal\" and retrying every second\n",
                     error.c_str());
        announced_missing_ = true;
    }
    stop();
    retry_later();
}

void CameraSource::retry_later() {
    retry_timer_.arm(1000);
}

bool CameraSource::open_and_stream(std::string &error) {
    std::string path = options_.device;
    if (path.empty()) {
        auto devices = V4l2Camera::capture_devices();
        if (devices.empty()) {
            error = "no camera found (no V4L2 capture device in /dev)";
            return false;
        }
        path = devices.front();
    } else if (!names_a_path(path)) {
        CameraLookup found = find_camera(path, describe_cameras());
        if (found.path.empty()) {
            error = found.error;
            return false;
        }
        path = found.path;
    }
    camera_ = V4l2Camera::open(path, error);
    if (!camera_) {
        return false;
    }

    // Direct scanout needs the frame at exactly the output's size.
    ModeWanted wanted;
    wanted.width = options_.width;
    wanted.height = options_.height;
    wanted.size_from = "the size from --size";
    wanted.fps = options_.fps;
    wlr_output *output = host_.output();
    if (wanted.width == 0 && output) {
        wanted.width = output->width;
        wanted.height = output->height;
        wanted.size_from = "the output's size";
    }
    if (output && output->refresh > 0) {
        wanted.max_fps = (output->refresh + 500) / 1000; // from mHz
    }
    add_displayable_formats(wanted, host_);
    if (wanted.scanout_formats.empty() && wanted.composite_formats.empty()) {
        error = "the renderer and output accept none of XR24 AR24 NV12 YUYV";
        return false;
    }
    ModeResult picked = choose_camera_mode(describe_camera(camera_->fd(), path), wanted);
    if (!picked.choice) {
        error = picked.error;
        return false;
    }
    const ModeChoice &picked_mode = *picked.choice;
    CaptureRequest request;
    request.width = picked_mode.width;
    request.height = picked_mode.height;
    request.interval = picked_mode.interval;
    if (request.interval.numerator == 0 && options_.fps > 0) {
        request.interval = {1, static_cast<uint32_t>(options_.fps)};
    }
    // Forced to wait for DQBUF, fences would only make other readers wait.
    request.release_fences = options_.sync != SyncChoice::dqbuf;
    if (!camera_->configure({picked_mode.drm_fourcc}, request, error)) {
        return false;
    }
    const CameraFormat &format = camera_->format();
    std::fprintf(stderr, "fencecam: camera %s picked %s %dx%d: %s\n", path.c_str(),
                 fourcc_text(picked_mode.v4l2_fourcc).c_str(), picked_mode.width,
                 picked_mode.height, picked_mode.why.c_str());

    // One wlr_buffer per V4L2 buffer, created once and shown again and again.
    for (const CameraBuffer &buffer : camera_->buffers()) {
        wlr_dmabuf_attributes attributes{};
        attributes.width = format.width;
        attributes.height = format.height;
        attributes.format = format.drm_fourcc;
        attributes.modifier = DRM_FORMAT_MOD_LINEAR;
        attributes.n_planes = static_cast<int>(format.planes.size());
        for (size_t plane = 0; plane < format.planes.size(); ++plane) {
            const PlaneLayout &layout = format.planes[plane];
            attributes.fd[plane] = buffer.dmabufs[layout.memory_plane].get();
            attributes.offset[plane] = layout.offset;
            attributes.stride[plane] = layout.stride;
        }
        unsigned slot = static_cast<unsigned>(buffers_.size());
        DmabufBuffer *dmabuf = DmabufBuffer::create(attributes);
        dmabuf->set_release_handler([this, slot] {
            if (latcher_) {
                latcher_->released(slot);
            }
        });
        buffers_.push_back(dmabuf);
    }
    slot_sequences_.assign(buffers_.size(), SlotSequence{});

    // Queue everything, then start: buffers queued before STREAMON reach the
    // driver (and get their fences) only at STREAMON.
    int64_t queued_ns = monotonic_ns();
    for (unsigned slot = 0; slot < buffers_.size(); ++slot) {
        if (!camera_->queue(slot)) {
            error = camera_->failure();
            return false;
        }
    }
    if (!camera_->stream_on()) {
        error = camera_->failure();
        return false;
    }

    std::vector<UniqueFd> fences;
    std::string why;
    SyncMode mode = choose_sync_mode(fences, why);
    if (!why.empty() && options_.sync == SyncChoice::fence && mode != SyncMode::fence) {
        error = why;
        return false;
    }

    // The rate the camera really runs at, not the one asked for: drivers
    // round, and a webcam's default can be 5 fps.
    nominal_period_ns_ = camera_->frame_period_ns();
    measured_period_ns_ = 0;
    last_dequeue_ns_ = 0;
    int timeout_ms = fence_timeout_ms(nominal_period_ns_);
    FrameLatcher::Hooks hooks;
    hooks.latch = [this](unsigned slot, const FrameTimes &times) { latch(slot, times); };
    hooks.requeue = [this](unsigned slot) { requeue(slot); };
    hooks.current_writers = [this](unsigned slot) { return export_fence(slot); };
    latcher_ =
        std::make_unique<FrameLatcher>(host_.loop, mode, std::chrono::milliseconds(timeout_ms),
                                       static_cast<unsigned>(buffers_.size()), hooks);
    for (unsigned slot = 0; slot < buffers_.size(); ++slot) {
        latcher_->queued(slot, mode == SyncMode::dqbuf ? UniqueFd() : std::move(fences[slot]),
                         queued_ns);
    }

    video_watch_ = EventSource::fd(host_.loop, camera_->fd(), WL_EVENT_READABLE,
                                   [this](uint32_t mask) { handle_video(mask); });
    with_camera_ = static_cast<unsigned>(buffers_.size());
    watchdog_.arm(watchdog_ms());

    fit_to_output();

    char fourcc[5] = {};
    std::memcpy(fourcc, &format.v4l2_fourcc, 4);
    std::string rate = nominal_period_ns_ > 0 ? fps_text(nominal_period_ns_) : "an unknown rate";
    std::fprintf(stderr,
                 "fencecam: camera %s (%s, %s): %s %dx%d at %s, %zu buffers, fence bound %d ms, "
                 "sync mode %s: %s\n",
                 camera_->path().c_str(), camera_->card().c_str(), camera_->driver().c_str(),
                 fourcc, format.width, format.height, rate.c_str(), buffers_.size(), timeout_ms,
                 std::string(to_string(mode)).c_str(), why.c_str());
    std::fprintf(stderr, "fencecam: camera %s %dx%d: %s\n", fourcc, format.width, format.height,
                 scanout_outlook(format).c_str());
    return true;
}

// Whether the frames can go to the display as they are, and why not: a
// webcam's YUYV, say, is a format many primary planes do not take.
std::string CameraSource::scanout_outlook(const CameraFormat &format) const {
    wlr_output *output = host_.output();
    if (!output) {
        return "no output yet";
    }
    const wlr_drm_format_set *plane = wlr_output_get_primary_formats(output, WLR_BUFFER_CAP_DMABUF);
    if (!plane || !wlr_drm_format_set_has(plane, format.drm_fourcc, DRM_FORMAT_MOD_LINEAR)) {
        return "to be composited, as the output's primary plane cannot scan this format out: the "
               "renderer samples it";
    }
    if (format.width != output->width || format.height != output->height) {
        return "to be composited, as the frame is not the output's size: the renderer scales it";
    }
    // Worded unlike the scene's verdict (": direct scanout", ": composited"),
    // which tools and tests read from the log.
    return "can be scanned out directly: the output's primary plane takes this format at this "
           "size";
}

// Scale to the output only when sizes differ: a 1:1 frame can be scanned out
// directly.
void CameraSource::fit_to_output() {
    wlr_output *output = host_.output();
    const CameraFormat &format = camera_->format();
    if (output && (format.width != output->width || format.height != output->height)) {
        wlr_scene_buffer_set_dest_size(picture_, output->width, output->height);
    } else {
        wlr_scene_buffer_set_dest_size(picture_, 0, 0);
    }
}

void CameraSource::output_changed() {
    wlr_output *output = host_.output();
    if (!camera_ || !output) {
        return; // the next attempt to open the camera asks for the new size
    }
    const CameraFormat &format = camera_->format();
    bool same_size = format.width == output->width && format.height == output->height;
    if (options_.width > 0 || same_size) {
        fit_to_output(); // a size the user chose is scaled, not renegotiated
        return;
    }
    std::fprintf(stderr, "fencecam: output is now %dx%d: restarting the camera at that size\n",
                 output->width, output->height);
    stop();
    start();
}

// A bound of four frame periods, and at least 250 ms: a late frame is given
// up long before anyone would see the picture freeze, and a slow camera's
// frames are never given up for being slow.
int CameraSource::fence_timeout_ms(int64_t period_ns) const {
    if (options_.fence_timeout_ms > 0) {
        return options_.fence_timeout_ms;
    }
    return static_cast<int>(std::max<int64_t>(4 * period_ns / 1'000'000, 250));
}

// A camera that holds buffers and returns none for this long has stopped
// without saying so (a wedged sensor, a USB glitch): well past the point
// where single frames are given up. One that has not returned its first
// frame yet is starting, not stalled: a USB camera's start (probe and commit,
// the streaming alternate setting, the sensor's first exposure) takes
// seconds on some, and restarting it then only starts it over, with every
// ioctl of the restart blocking the compositor meanwhile.
int CameraSource::watchdog_ms() const {
    int bound = latcher_ ? static_cast<int>(latcher_->fence_timeout().count()) : 250;
    int stall_ms = std::max(3000, 3 * bound);
    bool started = last_dequeue_ns_ != 0;
    return started ? stall_ms : std::max(stall_ms, 10'000);
}

std::string CameraSource::fps_text(int64_t period_ns) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f fps", 1e9 / double(period_ns));
    return text;
}

// Frames arrive at the camera's real rate, which may fall below its nominal
// one (a webcam's exposure in low light): the fence bound follows the slower
// of the two.
void CameraSource::measure_rate() {
    int64_t now = monotonic_ns();
    if (last_dequeue_ns_ > 0) {
        int64_t interval = now - last_dequeue_ns_;
        measured_period_ns_ =
            measured_period_ns_ == 0 ? interval : (measured_period_ns_ * 7 + interval) / 8;
    }
    last_dequeue_ns_ = now;
    int64_t period = std::max(nominal_period_ns_, measured_period_ns_);
    auto bound = std::chrono::milliseconds(fence_timeout_ms(period));
    auto current = latcher_->fence_timeout();
    // Only a real change moves the bound: each move restarts the wait of
    // the fence being timed.
    if (bound > current * 5 / 4 || bound < current * 3 / 4) {
        std::fprintf(stderr, "fencecam: camera runs at %s: fence bound now %lld ms\n",
                     fps_text(period).c_str(), static_cast<long long>(bound.count()));
        latcher_->set_fence_timeout(bound);
    }
}

// The queue says at VIDIOC_REQBUFS whether it offers release fences
// (V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES) and whether it kept our opt-in
// (V4L2_MEMORY_FLAG_RELEASE_FENCES). Without them (mainline kernels), a
// queued buffer's dma-buf exports an already-signalled stub. In fence mode
// each buffer's fence is taken now, right after STREAMON.
SyncMode CameraSource::choose_sync_mode(std::vector<UniqueFd> &fences, std::string &why) {
    const ReleaseFences &release = camera_->release_fences();
    std::string evidence =
        release.enabled
            ? "the kernel attaches release fences (the queue offers "
              "V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES; opted in with V4L2_MEMORY_FLAG_RELEASE_FENCES)"
        : release.offered ? "the kernel attaches no release fences (offered, not opted in)"
                          : "the kernel attaches no release fences (the queue does not offer "
                            "V4L2_BUF_CAP_SUPPORTS_RELEASE_FENCES)";
    SyncMode mode = SyncMode::dqbuf;
    switch (options_.sync) {
    case SyncChoice::automatic:
        why = "detected: " + evidence;
        mode = release.enabled ? SyncMode::fence : SyncMode::dqbuf;
        break;
    case SyncChoice::dqbuf:
        why = "forced by --sync dqbuf; " + evidence;
        break;
    case SyncChoice::fence:
        if (!release.enabled) {
            why = "--sync fence: " + camera_->path() + ": " + evidence +
                  "; a stub would show unfinished frames, use --sync auto or dqbuf";
            return SyncMode::dqbuf;
        }
        why = "forced by --sync fence; " + evidence;
        mode = SyncMode::fence;
        break;
    }
    if (mode == SyncMode::fence) {
        // Not the fence VIDIOC_QBUF can hand out: it speaks for the camera
        // only, and KMS and the renderer wait for every writer of the buffer.
        why += "; fences exported from the dma-bufs (DMA_BUF_IOCTL_EXPORT_SYNC_FILE: every "
               "writer's, not only the camera's)";
        for (unsigned slot = 0; slot < buffers_.size(); ++slot) {
            fences.push_back(export_fence(slot));
        }
    }
    return mode;
}

// One sync_file for all of a buffer's planes.
UniqueFd CameraSource::export_fence(unsigned slot) {
    const CameraBuffer &buffer = camera_->buffers()[slot];
    UniqueFd fence = export_write_fences(buffer.dmabufs[0].get());
    for (size_t plane = 1; plane < buffer.dmabufs.size() && fence; ++plane) {
        UniqueFd more = export_write_fences(buffer.dmabufs[plane].get());
        fence = more ? merge_sync_files(fence.get(), more.get()) : UniqueFd();
    }
    return fence;
}

void CameraSource::handle_video(uint32_t mask) {
    while (auto frame = camera_->dequeue()) {
        if (first_sequence_ < 0) {
            first_sequence_ = frame->sequence;
        }
        last_sequence_ = frame->sequence;
        --with_camera_;
        // The camera made progress: its watchdog starts over while it still
        // holds buffers.
        measure_rate();
        watchdog_.arm(with_camera_ > 0 ? watchdog_ms() : 0);
        SlotSequence &sequence = slot_sequences_[frame->index];
        if (sequence.latched != 0) {
            frames_.set_v4l2_sequence(sequence.latched, frame->sequence);
            sequence.latched = 0;
        }
        if (frame->error) {
            record_error(*frame);
        }
        sequence.dequeued = frame->sequence;
        latcher_->dequeued(frame->index, frame->error);
        sequence.dequeued = -1;
    }
    if (camera_->failed() || (mask & (WL_EVENT_ERROR | WL_EVENT_HANGUP))) {
        lose_camera(camera_->failed() ? camera_->failure() : camera_->path() + ": device gone");
    }
}

// A failed frame goes into the records too: it is never latched, and a test
// can check its sequence against the ones that reached the screen.
void CameraSource::record_error(const Dequeued &frame) {
    FrameRecord record;
    record.mode = to_string(latcher_->mode());
    record.v4l2_sequence = frame.sequence;
    record.error = true;
    frames_.failed(record);
}

void CameraSource::lose_camera(const std::string &reason) {
    std::fprintf(stderr,
                 "fencecam: camera lost: %s; showing \"no signal\" and retrying every second\n",
                 reason.c_str());
    announced_missing_ = true;
    stop();
    retry_later();
}

void CameraSource::handle_watchdog() {
    if (!camera_) {
        return;
    }
    if (!announced_stall_) {
        std::fprintf(stderr,
                     "fencecam: camera stalled: %s returned no frame for %d ms; showing \"no "
                     "signal\" and restarting it\n",
                     camera_->path().c_str(), watchdog_ms());
        announced_stall_ = true;
    }
    ++restarts_;
    stop();
    retry_later();
}

void CameraSource::latch(unsigned slot, const FrameTimes &times) {
    announced_stall_ = false;
    FrameRecord record;
    record.mode = to_string(latcher_->mode());
    record.sequence = times.sequence;
    record.queued_ns = times.queued_ns;
    record.ready_ns = times.ready_ns;
    record.ready_from = to_string(times.ready_from);
    record.latched_ns = times.latched_ns;
    SlotSequence &sequence = slot_sequences_[slot];
    if (sequence.dequeued >= 0) {
        record.v4l2_sequence = sequence.dequeued; // latched as DQBUF returned it
    } else {
        sequence.latched = times.sequence; // numbered when DQBUF returns it
        record.awaits_v4l2_sequence = true;
    }
    frames_.latched(record, buffers_[slot]->base());

    wlr_scene_buffer_set_buffer(picture_, buffers_[slot]->base());
    // Committed now, or at the deadline of the next vblank it can make.
    host_.schedule_commits();
}

void CameraSource::requeue(unsigned slot) {
    if (!camera_ || camera_->failed()) {
        return;
    }
    if (!camera_->queue(slot)) {
        // Called from inside the latcher: it is torn down from the event
        // loop, not from under its own feet.
        failure_check_.arm(1);
        return;
    }
    if (with_camera_++ == 0) {
        watchdog_.arm(watchdog_ms());
    }
    latcher_->queued(slot, latcher_->mode() == SyncMode::dqbuf ? UniqueFd() : export_fence(slot));
}

void CameraSource::stop() {
    video_watch_.reset();
    watchdog_.arm(0);
    failure_check_.arm(0);
    with_camera_ = 0;
    frames_.stopped();
    if (latcher_) {
        const FrameLatcher::Counters &counters = latcher_->counters();
        totals_.latched += counters.latched;
        totals_.errors += counters.errors;
        totals_.stale += counters.stale;
        totals_.stalls += counters.stalls;
    }
    latcher_.reset();
    if (camera_) {
        camera_->stream_off();
    }
    // The scene lets go of the last frame; the buffers die once KMS does too.
    wlr_scene_buffer_set_buffer(picture_, nullptr);
    for (DmabufBuffer *buffer : buffers_) {
        buffer->drop();
    }
    buffers_.clear();
    slot_sequences_.clear();
    camera_.reset();
    show_no_signal(true);
}

void CameraSource::show_no_signal(bool on) {
    wlr_scene_node_set_enabled(&no_signal_->node, on);
}

FrameLatcher::Counters CameraSource::counters() const {
    FrameLatcher::Counters counters = totals_;
    if (latcher_) {
        counters.latched += latcher_->counters().latched;
        counters.errors += latcher_->counters().errors;
        counters.stale += latcher_->counters().stale;
        counters.stalls += latcher_->counters().stalls;
    }
    return counters;
}

std::optional<SyncMode> CameraSource::sync_mode() const {
    return latcher_ ? std::optional(latcher_->mode()) : std::nullopt;
}

std::string CameraSource::summary() const {
    FrameLatcher::Counters counters = this->counters();
    char line[320];
    std::snprintf(line, sizeof line,
                  "camera: %" PRIu64 " frames latched, %" PRIu64 " errors, %" PRIu64
                  " stale, %" PRIu64 " stalls, %" PRIu64 " restarts; V4L2 sequence %" PRId64
                  "..%" PRId64 "; %" PRIu64 " samples by direct scanout, %" PRIu64
                  " composited; %" PRIu64 " CPU reads of camera pixels",
                  counters.latched, counters.errors, counters.stale, counters.stalls, restarts_,
                  first_sequence_, last_sequence_, frames_.scanout_samples(),
                  frames_.composited_samples(), DmabufBuffer::cpu_reads());
    return line;
}

} // namespace fencecam
