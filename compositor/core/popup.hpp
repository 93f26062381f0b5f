// An xdg popup (a menu, a dropdown, a tooltip): shown in the scene above
// its parent, and kept inside the output its toplevel is on. Without a node
// of its own a popup maps but never shows, and the client waits for its
// configure forever.
#pragma once

#include "listener.hpp"
#include "wlr_desktop.hpp"

namespace fencecam {

class Server;

class Popup {
  public:
    // Frees itself with the popup.
    static void create(Server &server, wlr_xdg_popup *popup);

  private:
    Popup(Server &server, wlr_xdg_popup *popup);
    ~Popup() = default;
    Popup(const Popup &) = delete;
    Popup &operator=(const Popup &) = delete;

    void handle_commit();
    void handle_reposition();
    void handle_destroy();
    void unconstrain();

    Server &server_;
    wlr_xdg_popup *popup_;
    Listener<> commit_;
    Listener<> reposition_;
    Listener<> destroy_;
};

} // namespace fencecam
