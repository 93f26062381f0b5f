// An xdg toplevel window. fencecam is a kiosk: a window alone fills the
// output, fullscreen, so its buffer can be scanned out directly; several
// windows are tiled across it side by side (tiling.hpp). The server decides
// where each window goes (Server::arrange_views), at every map, unmap and
// output size change; the view tells its client.
#pragma once

#include <optional>

#include "client_frames.hpp"
#include "listener.hpp"
#include "scanout_report.hpp"
#include "wlr_desktop.hpp"

namespace fencecam {

class Server;

class View {
  public:
    View(Server &server, wlr_xdg_toplevel *toplevel);
    View(const View &) = delete;
    View &operator=(const View &) = delete;

    bool mapped() const { return mapped_; }
    wlr_surface *surface() const { return toplevel_->base->surface; }

    // Puts the window at `box` (layout coordinates) and configures the
    // client for its size; `alone` makes it the fullscreen kiosk window.
    void place(const wlr_box &box, bool alone);

  private:
    void handle_commit();
    void handle_map();
    void handle_unmap();
    void handle_request_state();
    void handle_destroy();

    Server &server_;
    wlr_xdg_toplevel *toplevel_;
    wlr_scene_tree *scene_tree_;
    bool mapped_ = false;
    // The last size and state sent, so a re-arrange that changes nothing
    // sends no configure.
    struct Configured {
        int width, height;
        bool alone;
        bool operator==(const Configured &) const = default;
    };
    std::optional<Configured> configured_;
    ScanoutReport scanout_{"view"};
    ClientFrames frames_;
    Listener<> commit_;
    Listener<> map_;
    Listener<> unmap_;
    Listener<> request_fullscreen_;
    Listener<> request_maximize_;
    Listener<> destroy_;
};

} // namespace fencecam
