// When a frame a scene buffer shows reached the screen.
//
// A frame is shown by the output commit that first samples its buffer
// (wlr_scene's `output_sample` event, which also says whether the buffer was
// scanned out directly), and that commit's page flip (the output's `present`
// event with the same commit sequence) is the frame's present time. A frame
// replaced before any commit sampled it, or whose commit failed, was never
// presented. Each finished record goes to FrameStats.
#pragma once

#include <cstdint>
#include <deque>

#include "frame_stats.hpp"
#include "listener.hpp"
#include "wlr.hpp"

namespace fencecam {

class PresentTracker {
  public:
    explicit PresentTracker(FrameStats &stats)
        : stats_(stats) {}
    ~PresentTracker() { finish_all(); }
    PresentTracker(const PresentTracker &) = delete;
    PresentTracker &operator=(const PresentTracker &) = delete;

    // The scene buffer shows `frame` from now on.
    void latched(const FrameRecord &frame);
    // The producer numbered the frame latched as `sequence` after it was
    // latched (a fence signals before DQBUF tells the driver's counter).
    // A record that awaits its number is written only then.
    void set_v4l2_sequence(uint64_t sequence, int64_t v4l2_sequence);
    // Forward the scene buffer's `output_sample` events here; `cpu_copy`:
    // the scene buffer shows a CPU copy of the frame.
    void sampled(wlr_scene_output_sample_event *event, bool cpu_copy = false);
    // The source stops: frames not on screen yet never will be.
    void finish_all();

  private:
    void handle_present(wlr_output_event_present *event);
    void handle_output_destroy();
    void finish(size_t index, int64_t present_ns);

    struct InFlight {
        FrameRecord record;
        uint32_t commit_seq = 0; // 0: not sampled by any commit yet
    };

    FrameStats &stats_;
    std::deque<InFlight> in_flight_;
    // Finished (presented or not), waiting for DQBUF to number them.
    std::deque<FrameRecord> awaiting_number_;
    Listener<wlr_output_event_present> present_;
    Listener<> output_destroy_;
};

} // namespace fencecam
