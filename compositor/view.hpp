// An xdg toplevel window, kiosk style: the first one fills the output, later
// ones stack above it at their own size.
#pragma once

#include "listener.hpp"
#include "wlr.hpp"

namespace fencecam {

class Server;

class View {
  public:
    View(Server &server, wlr_xdg_toplevel *toplevel);
    View(const View &) = delete;
    View &operator=(const View &) = delete;

  private:
    void handle_commit();
    void handle_map();
    void handle_destroy();
    void handle_output_sample(wlr_scene_output_sample_event *event);

    Server &server_;
    wlr_xdg_toplevel *toplevel_;
    wlr_scene_tree *scene_tree_;
    bool fills_output_;
    // Whether the last frame showed this view by direct scanout; -1 before
    // the first frame. Changes are logged: tests and users read them.
    int direct_scanout_ = -1;
    Listener<> commit_;
    Listener<> map_;
    Listener<> destroy_;
    Listener<wlr_scene_output_sample_event> output_sample_;
};

} // namespace fencecam
