#include "protocols.hpp"

#include <chrono>

#include <drm_fourcc.h>

#include "buffer_size_limit.hpp"
#include "dmabuf_import_check.hpp"
#include "dmabuf_plane_fds.hpp"
#include "drm_timeline_device.hpp"
#include "implicit_sync_waiter.hpp"
#include "release_after_flip.hpp"
#include "server.hpp"
#include "syncobj_waiter.hpp"

namespace fencecam {

namespace {

// How long a client's commit may wait for its buffer's fences before the
// client is disconnected (a late fence never blocks anything else):
// --client-fence-timeout, 5 s unless told (see options.hpp).
std::chrono::milliseconds client_fence_timeout(const Server &server) {
    return std::chrono::milliseconds(server.options().client_fence_timeout_ms);
}

// linux-dmabuf v3 clients (GStreamer's waylandsink, weston-simple-dmabuf-v4l)
// only see format events. For a format whose modifiers are exactly
// {INVALID, LINEAR}, wlroots sends them the implicit modifier alone, and
// both clients then find no usable format: waylandsink silently falls back
// to wl_shm copies. Camera dma-bufs are linear, so say so explicitly.
void list_linear_explicitly(wlr_linux_dmabuf_feedback_v1 &feedback) {
    auto *tranches = static_cast<wlr_linux_dmabuf_feedback_v1_tranche *>(feedback.tranches.data);
    size_t count = feedback.tranches.size / sizeof(*tranches);
    for (size_t t = 0; t < count; ++t) {
        wlr_drm_format_set &formats = tranches[t].formats;
        for (size_t f = 0; f < formats.len; ++f) {
            const wlr_drm_format &format = formats.formats[f];
            if (wlr_drm_format_set_has(&formats, format.format, DRM_FORMAT_MOD_LINEAR)) {
                wlr_drm_format_set_remove(&formats, format.format, DRM_FORMAT_MOD_INVALID);
            }
        }
    }
}

// Zero-copy clients hand us dma-bufs. Only offered when the renderer can
// import them: the pixman renderer cannot, and a dma-buf it cannot show
// would fail at commit. The scene then sends each fullscreen surface a
// feedback with a scanout tranche for the output's primary plane.
void create_linux_dmabuf(Server &server) {
    if (!wlr_renderer_get_texture_formats(server.renderer, WLR_BUFFER_CAP_DMABUF)) {
        wlr_log(WLR_INFO, "linux-dmabuf not offered: the renderer cannot import dma-bufs");
        return;
    }
    wlr_linux_dmabuf_feedback_v1 feedback{};
    wlr_linux_dmabuf_feedback_v1_init_options options{};
    options.main_renderer = server.renderer;
    if (!wlr_linux_dmabuf_feedback_v1_init_with_options(&feedback, &options)) {
        wlr_log(WLR_ERROR, "linux-dmabuf not offered: no feedback for the renderer");
        return;
    }
    list_linear_explicitly(feedback);
    wlr_linux_dmabuf_v1 *dmabuf = wlr_linux_dmabuf_v1_create(server.display, 5, &feedback);
    wlr_linux_dmabuf_feedback_v1_finish(&feedback);
    if (dmabuf) {
        // Bad parameters end in a protocol error now, not a frame that never shows.
        set_dmabuf_import_check(dmabuf, server.display, server.renderer,
                                buffer_size_limit(server.renderer, server.backend));
        // No request sequence leaves a client's fd open here.
        guard_dmabuf_plane_fds(dmabuf, server.display);
        wlr_scene_set_linux_dmabuf_v1(server.scene, dmabuf);
    }
}

// Explicit sync needs a DRM device with timeline syncobjs. Without one the
// protocol is not offered and clients fall back to implicit sync. Returns
// the device where it is offered.
UniqueFd create_linux_drm_syncobj(Server &server, wlr_compositor *compositor) {
    UniqueFd device = open_drm_timeline_device(wlr_renderer_get_drm_fd(server.renderer));
    if (!device) {
        wlr_log(WLR_INFO, "linux-drm-syncobj not offered: no DRM device with syncobj timelines");
        return {};
    }
    // wlroots keeps a duplicate of the fd.
    if (!wlr_linux_drm_syncobj_manager_v1_create(server.display, 1, device.get())) {
        return {};
    }
    create_syncobj_waiter(compositor, server.loop, client_fence_timeout(server));
    return device;
}

} // namespace

void create_protocols(Server &server) {
    wl_display *display = server.display;

    // Surfaces and the renderer's shm formats: what every client needs.
    wlr_compositor *compositor = wlr_compositor_create(display, 6, server.renderer);
    wlr_subcompositor_create(display);
    wlr_renderer_init_wl_shm(server.renderer, display);
    wlr_data_device_manager_create(display);

    // Client buffers are shown only once their producer has signalled
    // them: implicit write fences for linux-dmabuf, acquire points for
    // linux-drm-syncobj.
    create_linux_dmabuf(server);
    create_implicit_sync_waiter(compositor, server.loop, client_fence_timeout(server));
    UniqueFd timelines = create_linux_drm_syncobj(server, compositor);
    // And they get their buffers back only once no output reads them.
    create_release_after_flip(compositor, server.loop, timelines.get());

    // Clients measure their own latency from presentation feedback.
    wlr_presentation_create(display, server.backend, 2);
    // waylandsink scales with viewporter and draws borders with single-pixel buffers.
    wlr_viewporter_create(display);
    wlr_single_pixel_buffer_manager_v1_create(display);

    // Screenshots (grim, tests): both capture protocols, plus xdg-output for
    // output geometry.
    wlr_xdg_output_manager_v1_create(display, server.output_layout);
    wlr_screencopy_manager_v1_create(display);
    wlr_ext_image_copy_capture_manager_v1_create(display, 1);
    wlr_ext_output_image_capture_source_manager_v1_create(display, 1);
}

} // namespace fencecam
