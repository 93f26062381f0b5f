// The Wayland side of fencecam-camera: the connection, the globals it needs,
// and one fullscreen xdg_toplevel to show frames in.
#pragma once

#include <cstdint>
#include <string>

#include <wayland-client.h>

#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

namespace fencecam::client {

class WaylandDisplay {
  public:
    // Connects and binds the globals; false and one line in `error` if the
    // compositor lacks one this client cannot do without.
    bool connect(bool need_syncobj, std::string &error);
    ~WaylandDisplay();

    // Creates the fullscreen window and waits for its first configure.
    bool create_window(const char *title, std::string &error);

    // Flushes requests; false once the connection is gone.
    bool flush();
    // Reads and dispatches what the compositor sent; false on a lost
    // connection or a protocol error (then `error` says which).
    bool dispatch(std::string &error);
    int fd() const { return wl_display_get_fd(display_); }

    wl_display *display() const { return display_; }
    wl_surface *surface() const { return surface_; }
    zwp_linux_dmabuf_v1 *dmabuf() const { return dmabuf_; }
    wp_presentation *presentation() const { return presentation_; }
    wp_linux_drm_syncobj_manager_v1 *syncobj_manager() const { return syncobj_manager_; }
    // The size the compositor asked for (0 if it leaves it to us).
    int width() const { return width_; }
    int height() const { return height_; }
    bool closed() const { return closed_; }
    // The clock wp_presentation timestamps are in (CLOCK_MONOTONIC on Linux).
    uint32_t presentation_clock() const { return clock_id_; }

  private:
    static void handle_global(void *data, wl_registry *registry, uint32_t name,
                              const char *interface, uint32_t version);
    static void handle_global_remove(void *, wl_registry *, uint32_t) {}
    static constexpr wl_registry_listener registry_listener{handle_global, handle_global_remove};

    wl_display *display_ = nullptr;
    wl_registry *registry_ = nullptr;
    wl_compositor *compositor_ = nullptr;
    xdg_wm_base *wm_base_ = nullptr;
    zwp_linux_dmabuf_v1 *dmabuf_ = nullptr;
    wp_presentation *presentation_ = nullptr;
    wp_linux_drm_syncobj_manager_v1 *syncobj_manager_ = nullptr;
    wl_surface *surface_ = nullptr;
    xdg_surface *xdg_surface_ = nullptr;
    xdg_toplevel *toplevel_ = nullptr;
    uint32_t clock_id_ = 0;
    int width_ = 0;
    int height_ = 0;
    bool configured_ = false;
    bool closed_ = false;
};

} // namespace fencecam::client
