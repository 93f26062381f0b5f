// The built-in camera's frames in fencecam's per-frame records
// (frame_clock/): which page flip showed each one, whether the scene
// scanned it out, and, under --completion-stamps, the time vivid stamped
// into it.
#pragma once

#include "camera_source.hpp"
#include "completion_stamp.hpp"
#include "frame_stats.hpp"
#include "present_tracker.hpp"
#include "scanout_report.hpp"

namespace fencecam {

class CameraFrameRecords : public CameraFrameSink {
  public:
    CameraFrameRecords(FrameStats &stats, bool completion_stamps)
        : stats_(stats)
        , completion_stamps_(completion_stamps)
        , presents_(stats) {}

    void watch(wlr_scene_buffer *picture) override {
        scanout_.watch(picture);
        scanout_.set_sample_handler(
            [this](wlr_scene_output_sample_event *event) { presents_.sampled(event); });
    }
    void latched(FrameRecord record, wlr_buffer *buffer) override {
        if (completion_stamps_) {
            record.stamp_ns = stamps_.read(buffer).value_or(-1);
        }
        presents_.latched(record);
    }
    void set_v4l2_sequence(uint64_t sequence, int64_t v4l2_sequence) override {
        presents_.set_v4l2_sequence(sequence, v4l2_sequence);
    }
    void failed(const FrameRecord &record) override { stats_.record(record); }
    void stopped() override { presents_.finish_all(); }
    uint64_t scanout_samples() const override { return scanout_.scanout_samples(); }
    uint64_t composited_samples() const override { return scanout_.composited_samples(); }

  private:
    FrameStats &stats_;
    bool completion_stamps_;
    ScanoutReport scanout_{"camera"};
    PresentTracker presents_;
    CompletionStamps stamps_;
};

} // namespace fencecam
