#include "protocols.hpp"

#include "server.hpp"

namespace fencecam {

void create_protocols(Server &server) {
    wl_display *display = server.display;

    // Surfaces and the renderer's shm formats: what every client needs.
    wlr_compositor_create(display, 6, server.renderer);
    wlr_subcompositor_create(display);
    wlr_renderer_init_wl_shm(server.renderer, display);
    wlr_data_device_manager_create(display);

    // Zero-copy clients hand us dma-bufs. Only offered when the renderer can
    // import them: the pixman renderer cannot, and a dma-buf it cannot show
    // would fail at commit.
    if (wlr_renderer_get_texture_formats(server.renderer, WLR_BUFFER_CAP_DMABUF)) {
        wlr_linux_dmabuf_v1_create_with_renderer(display, 5, server.renderer);
    } else {
        wlr_log(WLR_INFO, "linux-dmabuf not offered: the renderer cannot import dma-bufs");
    }

    // Clients measure their own latency from presentation feedback.
    wlr_presentation_create(display, server.backend, 2);
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
