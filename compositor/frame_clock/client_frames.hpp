// Per-frame records for client surfaces, the same as the built-in camera's.
//
// A client's frame is its commit with a new buffer: "queued" and "ready" are
// when the client committed it (the compositor has no earlier producer time
// to read), "latched" is when the commit was applied (after the sync waiters
// released it: latch wait is how long a fence held it), and "present" is the
// page flip of the first output commit that sampled it (PresentTracker).
// Under --completion-stamps each dma-buf frame's vivid stamp is read too, so
// a benchmark can measure camera clients exactly as the built-in camera.
//
// Wiring: a view calls watch_tree() whenever its scene tree may have grown;
// every surface with a scene buffer in it (the toplevel, subsurfaces that
// carry video, popups) gets its own records.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <string>

#include "completion_stamp.hpp"
#include "frame_stats.hpp"
#include "listener.hpp"
#include "present_tracker.hpp"
#include "wlr.hpp"

namespace fencecam {

class ClientFrames {
  public:
    ClientFrames(FrameStats &stats, bool completion_stamps)
        : stats_(stats)
        , completion_stamps_(completion_stamps) {}
    ClientFrames(const ClientFrames &) = delete;
    ClientFrames &operator=(const ClientFrames &) = delete;

    void watch_tree(wlr_scene_tree *tree);

  private:
    // A client commit with a buffer, not applied yet.
    struct Commit {
        uint32_t seq = 0;
        int64_t committed_ns = 0;
        const char *mode = ""; // "explicit", "implicit", "shm"
    };
    struct Surface {
        Surface(FrameStats &stats, wlr_surface *surface, wlr_scene_buffer *scene_buffer)
            : surface(surface)
            , scene_buffer(scene_buffer)
            , presents(stats) {}
        wlr_surface *surface;
        wlr_scene_buffer *scene_buffer;
        std::string source; // "client weston-simple-dm (pid 412)"
        // A waiter may hold several; wlroots applies them in order.
        std::deque<Commit> committed;
        PresentTracker presents;
        Listener<> client_commit;
        Listener<> commit;
        Listener<wlr_scene_output_sample_event> output_sample;
        Listener<> surface_destroy;
        Listener<> scene_buffer_destroy;
    };

    void watch(wlr_surface *surface, wlr_scene_buffer *scene_buffer);
    void handle_client_commit(Surface &watched);
    void handle_commit(Surface &watched);
    void handle_output_sample(Surface &watched, wlr_scene_output_sample_event *event);
    void handle_destroy(Surface &watched);

    FrameStats &stats_;
    bool completion_stamps_;
    CompletionStamps stamps_;
    std::list<Surface> surfaces_;
};

} // namespace fencecam
