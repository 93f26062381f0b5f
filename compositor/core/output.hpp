// One display output: its mode, its place in the layout and the scene, and
// the frame loop that turns the scene into commits, each at the time that
// gets the newest frame on screen soonest (frame_clock.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "deadline_timer.hpp"
#include "frame_clock.hpp"
#include "listener.hpp"
#include "readonly_buffer_guard.hpp"
#include "wlr_desktop.hpp"

namespace fencecam {

class Server;

class Output {
  public:
    Output(Server &server, wlr_output *output);
    ~Output();
    Output(const Output &) = delete;
    Output &operator=(const Output &) = delete;

    wlr_output *wlr() const { return output_; }

    // Something new is in the scene (a camera frame was latched): commit it
    // now if the output is idle, else at the deadline of the first vblank it
    // can make.
    void schedule_commit();

    // Told after every mode change, with the new size (the camera follows).
    void set_mode_handler(std::function<void()> handler) { on_mode_ = std::move(handler); }

  private:
    bool apply_mode();
    void book(int64_t target_ns);
    void commit();
    void handle_frame();
    void handle_deadline();
    void handle_present(wlr_output_event_present *event);
    void handle_commit(wlr_output_event_commit *event);
    void handle_request_state(wlr_output_event_request_state *event);
    void handle_destroy();

    Server &server_;
    wlr_output *output_;
    wlr_scene_output *scene_output_ = nullptr;
    // Only with a software renderer (see readonly_buffer_guard.hpp).
    std::unique_ptr<ReadOnlyBufferGuard> readonly_guard_;

    FrameClock clock_;
    DeadlineTimer deadline_;
    // A commit waiting for a software renderer to finish the last frame.
    EventSource render_wait_;
    bool waiting_for_render_ = false;
    // The deadline passed while a flip was still pending: commit as soon as
    // it completes.
    bool commit_at_frame_ = false;
    // A commit of ours went out since the last frame event, so the next
    // frame event is its page flip completing.
    bool flip_since_frame_ = false;
    // The last commit, to learn from its present event whether it made the
    // vblank it was meant for.
    struct InFlight {
        uint32_t commit_seq = 0;
        int64_t committed_ns = 0;
        int64_t target_ns = 0; // 0: no prediction then
    };
    std::optional<InFlight> in_flight_;
    std::function<void()> on_mode_;

    Listener<> frame_;
    Listener<wlr_output_event_present> present_;
    Listener<wlr_output_event_commit> commit_;
    Listener<wlr_output_event_request_state> request_state_;
    Listener<> destroy_;
};

} // namespace fencecam
