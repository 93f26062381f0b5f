// An xdg toplevel window, kiosk style: the first one fills the output, later
// ones stack above it at their own size.
#pragma once

#include "client_frames.hpp"
#include "listener.hpp"
#include "scanout_report.hpp"
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

    Server &server_;
    wlr_xdg_toplevel *toplevel_;
    wlr_scene_tree *scene_tree_;
    bool fills_output_;
    ScanoutReport scanout_{"view"};
    ClientFrames frames_;
    Listener<> commit_;
    Listener<> map_;
    Listener<> destroy_;
};

} // namespace fencecam
