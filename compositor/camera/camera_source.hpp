// The built-in camera: V4L2 frames on screen with zero copies, each one
// latched only once the camera has signalled it complete.
//
// This file wires the parts together; each part is liftable on its own:
//   V4l2Camera    (v4l2_camera.*)   the device, its format and dma-bufs
//   FrameLatcher  (frame_latcher.*) when a frame may be shown and requeued
//   DmabufBuffer  (dmabuf_buffer.*) a camera dma-buf as a wlr_buffer
// Everything lives in the compositor's event loop: the video fd and the
// fences are watched there, and no thread is needed.
//
// A camera that is missing, or fails mid-stream, leaves a "no signal"
// picture, and fencecam keeps trying it every second.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "camera_source_options.hpp"
#include "event_source.hpp"
#include "frame_latcher.hpp"
#include "frame_record.hpp"
#include "v4l2_camera.hpp"
#include "wlr.hpp"

namespace fencecam {

class DmabufBuffer;

// What the camera needs of the compositor that shows it.
struct CameraHost {
    wl_event_loop *loop;
    wlr_renderer *renderer;
    // The output the camera is sized for, or null while there is none.
    std::function<wlr_output *()> output;
    // A frame was latched: commit it when the frame clock says so.
    std::function<void()> schedule_commits;
};

// Where the camera's frames are accounted for (in fencecam, the per-frame
// records of frame_clock/: core/camera_frame_records.hpp). The camera says
// what became of each frame; the sink records it.
class CameraFrameSink {
  public:
    virtual ~CameraFrameSink() = default;
    // The scene buffer that shows the camera's frames.
    virtual void watch(wlr_scene_buffer *picture) = 0;
    // `record` is on screen from now on, in `buffer`.
    virtual void latched(FrameRecord record, wlr_buffer *buffer) = 0;
    // DQBUF numbered a frame after it was latched as `sequence` (a fence
    // signals before DQBUF tells the driver's counter).
    virtual void set_v4l2_sequence(uint64_t sequence, int64_t v4l2_sequence) = 0;
    // A frame the camera failed: never latched.
    virtual void failed(const FrameRecord &record) = 0;
    // The camera stopped: frames not on screen yet never will be.
    virtual void stopped() = 0;
    // Output samples of the picture so far: by direct scanout, composited.
    virtual uint64_t scanout_samples() const = 0;
    virtual uint64_t composited_samples() const = 0;
};

class CameraSource {
  public:
    CameraSource(CameraHost host, wlr_scene_tree *layer, CameraOptions options,
                 CameraFrameSink &frames);
    ~CameraSource();
    CameraSource(const CameraSource &) = delete;
    CameraSource &operator=(const CameraSource &) = delete;

    // Tries the camera now (e.g. once the first output exists).
    void start();
    // The first output appeared or changed mode: a camera sized for it
    // restarts at the new size, so that direct scanout comes back.
    void output_changed();

    // One line for the log at exit: what the camera did in this run.
    std::string summary() const;
    // For the HUD: the counters over the whole run, and the sync mode while
    // a camera streams.
    FrameLatcher::Counters counters() const;
    std::optional<SyncMode> sync_mode() const;

  private:
    bool open_and_stream(std::string &error);
    SyncMode choose_sync_mode(std::vector<UniqueFd> &fences, std::string &why);
    void stop();
    void show_no_signal(bool on);
    void retry_later();

    void fit_to_output();
    std::string scanout_outlook(const CameraFormat &format) const;
    int fence_timeout_ms(int64_t period_ns) const;
    int watchdog_ms() const;
    static std::string fps_text(int64_t period_ns);
    void measure_rate();
    void lose_camera(const std::string &reason);

    void handle_video(uint32_t mask);
    void record_error(const Dequeued &frame);
    void handle_watchdog();
    void latch(unsigned slot, const FrameTimes &times);
    void requeue(unsigned slot);
    UniqueFd export_fence(unsigned slot);

    CameraHost host_;
    CameraOptions options_;
    CameraFrameSink &frames_;
    wlr_scene_tree *layer_;
    wlr_scene_rect *no_signal_;
    wlr_scene_buffer *picture_;

    std::unique_ptr<V4l2Camera> camera_;
    std::vector<DmabufBuffer *> buffers_;
    std::unique_ptr<FrameLatcher> latcher_;
    EventSource video_watch_;
    EventSource retry_timer_;
    EventSource watchdog_;
    EventSource failure_check_;
    bool announced_missing_ = false;
    bool announced_stall_ = false;
    unsigned with_camera_ = 0; // buffers queued and not yet dequeued
    int64_t nominal_period_ns_ = 0;
    int64_t measured_period_ns_ = 0;
    int64_t last_dequeue_ns_ = 0;
    uint64_t restarts_ = 0;

    // Totals over the whole run (a camera may come and go).
    FrameLatcher::Counters totals_;
    int64_t first_sequence_ = -1; // the driver's frame counter, as DQBUF saw it
    int64_t last_sequence_ = -1;
    // A slot's latch and its DQBUF, matched whichever comes first, so that
    // its record carries the driver's frame counter: in fence mode a frame is
    // latched before DQBUF returns it, in dqbuf mode after.
    struct SlotSequence {
        uint64_t latched = 0;  // the latcher's sequence, waiting for DQBUF
        int64_t dequeued = -1; // the driver's sequence, while DQBUF hands it over
    };
    std::vector<SlotSequence> slot_sequences_;
};

} // namespace fencecam
