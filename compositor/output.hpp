// One display output: its mode, its place in the layout and the scene, and
// the frame loop that turns the scene into a commit.
#pragma once

#include <memory>

#include "listener.hpp"
#include "readonly_buffer_guard.hpp"
#include "wlr.hpp"

namespace fencecam {

class Server;

class Output {
  public:
    Output(Server &server, wlr_output *output);
    Output(const Output &) = delete;
    Output &operator=(const Output &) = delete;

    wlr_output *wlr() const { return output_; }

    // Commits the scene now if the output is not waiting for a page flip:
    // a camera frame latched while the display idles need not wait for the
    // next frame event.
    void commit_if_idle();

  private:
    bool apply_mode();
    void commit();
    void handle_frame();
    void handle_request_state(wlr_output_event_request_state *event);
    void handle_destroy();

    Server &server_;
    wlr_output *output_;
    wlr_scene_output *scene_output_ = nullptr;
    // Only with a software renderer (see readonly_buffer_guard.hpp).
    std::unique_ptr<ReadOnlyBufferGuard> readonly_guard_;
    Listener<> frame_;
    Listener<wlr_output_event_request_state> request_state_;
    Listener<> destroy_;
};

} // namespace fencecam
