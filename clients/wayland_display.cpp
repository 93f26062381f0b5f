#include "wayland_display.hpp"

#include <cerrno>
#include <cstring>

namespace fencecam::client {

namespace {

template <class T>
T *bind(wl_registry *registry, uint32_t name, const wl_interface &interface, uint32_t version) {
    return static_cast<T *>(wl_registry_bind(registry, name, &interface, version));
}

} // namespace

void WaylandDisplay::handle_global(void *data, wl_registry *registry, uint32_t name,
                                   const char *interface, uint32_t version) {
    auto *self = static_cast<WaylandDisplay *>(data);
    const auto is = [interface](const wl_interface &wanted) {
        return std::strcmp(interface, wanted.name) == 0;
    };
    if (is(wl_compositor_interface)) {
        self->compositor_ = bind<wl_compositor>(registry, name, wl_compositor_interface, 4);
    } else if (is(xdg_wm_base_interface)) {
        self->wm_base_ = bind<xdg_wm_base>(registry, name, xdg_wm_base_interface, 1);
    } else if (is(zwp_linux_dmabuf_v1_interface) && version >= 4) {
        // Version 4: per-surface feedback, which says which formats the
        // compositor can scan out for this window right now.
        self->dmabuf_ = bind<zwp_linux_dmabuf_v1>(registry, name, zwp_linux_dmabuf_v1_interface, 4);
    } else if (is(wp_presentation_interface)) {
        self->presentation_ = bind<wp_presentation>(registry, name, wp_presentation_interface, 1);
    } else if (is(wp_linux_drm_syncobj_manager_v1_interface)) {
        self->syncobj_manager_ = bind<wp_linux_drm_syncobj_manager_v1>(
            registry, name, wp_linux_drm_syncobj_manager_v1_interface, 1);
    }
}

bool WaylandDisplay::connect(bool need_syncobj, std::string &error) {
    display_ = wl_display_connect(nullptr);
    if (!display_) {
        error = "cannot connect to a Wayland compositor: is WAYLAND_DISPLAY set?";
        return false;
    }
    registry_ = wl_display_get_registry(display_);
    wl_registry_add_listener(registry_, &registry_listener, this);
    wl_display_roundtrip(display_);
    if (!compositor_ || !wm_base_) {
        error = "the compositor offers no wl_compositor or xdg_wm_base";
        return false;
    }
    if (!dmabuf_) {
        error = "the compositor offers no linux-dmabuf v4 or later: it cannot take camera "
                "buffers without a copy (with wlroots, a renderer that imports dma-bufs is needed)";
        return false;
    }
    if (!presentation_) {
        error = "the compositor offers no wp_presentation: no latency can be measured";
        return false;
    }
    if (need_syncobj && !syncobj_manager_) {
        error = "--sync explicit: the compositor offers no linux-drm-syncobj-v1 (it needs a DRM "
                "device with syncobj timelines); try --sync implicit";
        return false;
    }
    static constexpr wp_presentation_listener presentation_listener{
        [](void *data, wp_presentation *, uint32_t clock_id) {
            static_cast<WaylandDisplay *>(data)->clock_id_ = clock_id;
        }};
    wp_presentation_add_listener(presentation_, &presentation_listener, this);
    static constexpr xdg_wm_base_listener wm_base_listener{
        [](void *, xdg_wm_base *base, uint32_t serial) { xdg_wm_base_pong(base, serial); }};
    xdg_wm_base_add_listener(wm_base_, &wm_base_listener, this);
    return true;
}

bool WaylandDisplay::create_window(const char *title, std::string &error) {
    surface_ = wl_compositor_create_surface(compositor_);
    xdg_surface_ = xdg_wm_base_get_xdg_surface(wm_base_, surface_);
    static constexpr xdg_surface_listener surface_listener{
        [](void *data, xdg_surface *surface, uint32_t serial) {
            xdg_surface_ack_configure(surface, serial);
            static_cast<WaylandDisplay *>(data)->configured_ = true;
        }};
    xdg_surface_add_listener(xdg_surface_, &surface_listener, this);
    toplevel_ = xdg_surface_get_toplevel(xdg_surface_);
    static constexpr xdg_toplevel_listener toplevel_listener{
        [](void *data, xdg_toplevel *, int32_t width, int32_t height, wl_array *) {
            auto *self = static_cast<WaylandDisplay *>(data);
            self->width_ = width;
            self->height_ = height;
        },
        [](void *data, xdg_toplevel *) { static_cast<WaylandDisplay *>(data)->closed_ = true; },
        nullptr, nullptr};
    xdg_toplevel_add_listener(toplevel_, &toplevel_listener, this);
    xdg_toplevel_set_title(toplevel_, title);
    xdg_toplevel_set_app_id(toplevel_, "fencecam-camera");
    // Fullscreen at the output's size is what lets the compositor hand our
    // buffers to the display as they are (direct scanout, zero copies).
    xdg_toplevel_set_fullscreen(toplevel_, nullptr);
    wl_surface_commit(surface_);
    while (!configured_) {
        if (!dispatch(error)) {
            return false;
        }
    }
    return true;
}

bool WaylandDisplay::flush() {
    return wl_display_flush(display_) >= 0 || errno == EAGAIN;
}

bool WaylandDisplay::dispatch(std::string &error) {
    if (wl_display_dispatch(display_) >= 0) {
        return true;
    }
    const wl_interface *interface = nullptr;
    const int code = wl_display_get_error(display_);
    if (code == EPROTO) {
        const uint32_t protocol_code = wl_display_get_protocol_error(display_, &interface, nullptr);
        error = std::string("protocol error ") + std::to_string(protocol_code) + " on " +
                (interface ? interface->name : "?") + " (see the compositor's log)";
    } else {
        error = std::string("lost the compositor: ") + std::strerror(code);
    }
    return false;
}

WaylandDisplay::~WaylandDisplay() {
    if (!display_) {
        return;
    }
    // Destroying the proxies is optional at exit; disconnecting frees all.
    wl_display_disconnect(display_);
}

} // namespace fencecam::client
