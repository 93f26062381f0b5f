#include "camera_source.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <drm_fourcc.h>

#include "completion_stamp.hpp"
#include "dmabuf_buffer.hpp"
#include "output.hpp"
#include "server.hpp"
#include "sync_file.hpp"

namespace fencecam {

namespace {

// What fencecam can put on screen, best first: formats the output's primary
// plane scans out as they are (zero copy, no GPU), then formats the renderer
// can sample.
std::vector<uint32_t> displayable_formats(Server &server) {
    static constexpr uint32_t preference[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
                                              DRM_FORMAT_NV12, DRM_FORMAT_YUYV};
    std::vector<uint32_t> formats;
    auto add_from = [&](const wlr_drm_format_set *set, bool any_modifier) {
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
    if (Output *output = server.first_output()) {
        add_from(wlr_output_get_primary_formats(output->wlr(), WLR_BUFFER_CAP_DMABUF), false);
    }
    add_from(wlr_renderer_get_texture_formats(server.renderer, WLR_BUFFER_CAP_DMABUF), true);
    add_from(wlr_renderer_get_texture_formats(server.renderer, WLR_BUFFER_CAP_DATA_PTR), true);
    return formats;
}

} // namespace

CameraSource::CameraSource(Server &server, wlr_scene_tree *layer, CameraOptions options,
                           FrameStats &stats)
    : server_(server)
    , options_(std::move(options))
    , layer_(layer)
    , presents_(stats) {
    // "No signal": a dark red field, shown whenever no camera frame is.
    const float no_signal_color[4] = {0.30f, 0.04f, 0.04f, 1.0f};
    no_signal_ = wlr_scene_rect_create(layer_, 16384, 16384, no_signal_color);
    picture_ = wlr_scene_buffer_create(layer_, nullptr);
    scanout_.watch(picture_);
    scanout_.set_sample_handler(
        [this](wlr_scene_output_sample_event *event) { presents_.sampled(event); });
    retry_timer_ = EventSource::timer(server_.loop, [this] { start(); });
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
    }
    camera_ = V4l2Camera::open(path, error);
    if (!camera_) {
        return false;
    }

    // Direct scanout needs the frame at exactly the output's size.
    CaptureRequest request;
    request.width = options_.width;
    request.height = options_.height;
    request.fps = options_.fps;
    Output *output = server_.first_output();
    if (request.width == 0 && output) {
        request.width = output->wlr()->width;
        request.height = output->wlr()->height;
    }
    std::vector<uint32_t> formats = displayable_formats(server_);
    if (formats.empty()) {
        error = "the renderer and output accept none of XR24 AR24 NV12 YUYV";
        return false;
    }
    if (!camera_->configure(formats, request, error)) {
        return false;
    }
    const CameraFormat &format = camera_->format();

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

    // A default bound of four frame periods: a late frame is dropped long
    // before anyone would see the picture freeze.
    int timeout_ms = options_.fence_timeout_ms;
    if (timeout_ms == 0) {
        int fps = options_.fps > 0 ? options_.fps : 30;
        timeout_ms = std::max(4000 / fps, 20);
    }
    FrameLatcher::Hooks hooks;
    hooks.latch = [this](unsigned slot, const FrameTimes &times) { latch(slot, times); };
    hooks.requeue = [this](unsigned slot) { requeue(slot); };
    latcher_ =
        std::make_unique<FrameLatcher>(server_.loop, mode, std::chrono::milliseconds(timeout_ms),
                                       static_cast<unsigned>(buffers_.size()), hooks);
    for (unsigned slot = 0; slot < buffers_.size(); ++slot) {
        latcher_->queued(slot, mode == SyncMode::dqbuf ? UniqueFd() : std::move(fences[slot]),
                         queued_ns);
    }

    video_watch_ = EventSource::fd(server_.loop, camera_->fd(), WL_EVENT_READABLE,
                                   [this](uint32_t mask) { handle_video(mask); });

    // Scale to the output only when sizes differ: a 1:1 frame can be
    // scanned out directly.
    if (output &&
        (format.width != output->wlr()->width || format.height != output->wlr()->height)) {
        wlr_scene_buffer_set_dest_size(picture_, output->wlr()->width, output->wlr()->height);
    } else {
        wlr_scene_buffer_set_dest_size(picture_, 0, 0);
    }

    char fourcc[5] = {};
    std::memcpy(fourcc, &format.v4l2_fourcc, 4);
    std::fprintf(stderr, "fencecam: camera %s (%s, %s): %s %dx%d, %zu buffers, sync mode %s: %s\n",
                 camera_->path().c_str(), camera_->card().c_str(), camera_->driver().c_str(),
                 fourcc, format.width, format.height, buffers_.size(),
                 std::string(to_string(mode)).c_str(), why.c_str());
    return true;
}

// The kernel proves it attaches release fences when a buffer it was just
// given carries an unsignalled one. A kernel without them (mainline today)
// exports an already-signalled stub.
SyncMode CameraSource::choose_sync_mode(std::vector<UniqueFd> &fences, std::string &why) {
    // The evidence named in the log is a pending fence if there is one: a
    // fence that signalled already (the first frame can be that quick) has
    // left the dma-buf, which then exports a stub.
    int evidence_fd = -1;
    bool pending = false;
    for (unsigned slot = 0; slot < buffers_.size(); ++slot) {
        fences.push_back(export_fence(slot));
        if (!fences.back()) {
            continue;
        }
        bool this_pending =
            read_sync_file(fences.back().get()).status == FenceState::Status::pending;
        if (evidence_fd < 0 || (this_pending && !pending)) {
            evidence_fd = fences.back().get();
        }
        pending = pending || this_pending;
    }
    std::string names;
    if (evidence_fd >= 0) {
        for (const std::string &name : sync_file_fence_names(evidence_fd)) {
            names += (names.empty() ? "" : ", ") + name;
        }
    }
    std::string evidence = pending
                               ? "the kernel attaches release fences (unsignalled fence after QBUF"
                               : "the kernel attaches no release fences (exported fences are stubs";
    evidence += names.empty() ? ")" : ": " + names + ")";
    switch (options_.sync) {
    case SyncChoice::automatic:
        why = "detected: " + evidence;
        return pending ? SyncMode::fence : SyncMode::dqbuf;
    case SyncChoice::dqbuf:
        why = "forced by --sync dqbuf; " + evidence;
        return SyncMode::dqbuf;
    case SyncChoice::fence:
        if (!pending) {
            why = "--sync fence: " + camera_->path() + ": " + evidence +
                  "; a stub would show unfinished frames, use --sync auto or dqbuf";
            return SyncMode::dqbuf;
        }
        why = "forced by --sync fence; " + evidence;
        return SyncMode::fence;
    }
    return SyncMode::dqbuf;
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
        latcher_->dequeued(frame->index, frame->error);
    }
    if (camera_->failed() || (mask & (WL_EVENT_ERROR | WL_EVENT_HANGUP))) {
        std::string reason =
            camera_->failed() ? camera_->failure() : camera_->path() + ": device gone";
        std::fprintf(stderr,
                     "fencecam: camera lost: %s; showing \"no signal\" and retrying every second\n",
                     reason.c_str());
        announced_missing_ = true;
        stop();
        retry_later();
    }
}

void CameraSource::latch(unsigned slot, const FrameTimes &times) {
    FrameRecord record;
    record.mode = to_string(latcher_->mode());
    record.sequence = times.sequence;
    record.queued_ns = times.queued_ns;
    record.ready_ns = times.ready_ns;
    record.latched_ns = times.latched_ns;
    if (server_.options().completion_stamps) {
        record.stamp_ns = read_completion_stamp(buffers_[slot]->base()).value_or(-1);
    }
    presents_.latched(record);

    wlr_scene_buffer_set_buffer(picture_, buffers_[slot]->base());
    // An idle output shows the frame now rather than at its next frame event.
    server_.commit_idle_outputs();
}

void CameraSource::requeue(unsigned slot) {
    if (!camera_ || camera_->failed()) {
        return;
    }
    if (!camera_->queue(slot)) {
        return; // handle_video notices the failure and stops the camera
    }
    latcher_->queued(slot, latcher_->mode() == SyncMode::dqbuf ? UniqueFd() : export_fence(slot));
}

void CameraSource::stop() {
    video_watch_.reset();
    presents_.finish_all();
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
                  " stale, %" PRIu64 " stalls; V4L2 sequence %" PRId64 "..%" PRId64 "; %" PRIu64
                  " samples by direct scanout, %" PRIu64 " composited; %" PRIu64
                  " CPU reads of camera pixels",
                  counters.latched, counters.errors, counters.stale, counters.stalls,
                  first_sequence_, last_sequence_, scanout_.scanout_samples(),
                  scanout_.composited_samples(), DmabufBuffer::cpu_reads());
    return line;
}

} // namespace fencecam
