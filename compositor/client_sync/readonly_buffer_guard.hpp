// The read-only guard: a client dma-buf exported read-only reaches the
// screen by direct scanout, or as a CPU copy, never through a renderer that
// would map it writable.
//
// Why: a software GL renderer (Mesa's llvmpipe, which runs wherever there is
// no GPU, e.g. on vkms) reads an imported dma-buf by mmap()ing it
// PROT_READ | PROT_WRITE. A dma-buf the client exported O_RDONLY (as
// weston-simple-dmabuf-v4l does: it only lets others read its camera
// frames) makes that mmap fail with EACCES, and Mesa's rasteriser threads
// then crash the compositor. The same happens to a screenshot: wlroots'
// capture protocols sample the output's buffer, which under direct scanout
// is the client's.
//
// Rejecting such buffers would break clients that work today: fullscreen at
// the output's size, their buffer goes to the display untouched. So, for
// each output, just before wlr_scene_output_commit:
//  - every scene buffer whose dma-buf has a read-only plane is looked at;
//  - it may stay only if the scene is certain to scan it out: it is the
//    topmost node on the output, covers it exactly with an opaque buffer of
//    the output's size and transform, the output allows direct scanout (no
//    software cursor), the display accepts it (wlr_output_test_state), and
//    no screenshot is waiting for this frame;
//  - otherwise the node shows a CPU copy of the client's frame instead
//    (dmabuf_cpu_copy.hpp: a read-only mapping, read once the dma-buf's
//    write fences have signalled), made once per new client buffer, with one
//    log line per surface; each presented copy is counted in the frame
//    records (client_frames.hpp). The client's next commit puts its own
//    buffer back on the node, so it returns to zero copy as soon as it can
//    be scanned out;
//  - a frame still being written keeps the last copy on screen (tried again
//    at the next frame), and a format no copy can show (YUV) is not shown at
//    all: the node is disabled, with one log line naming the client. The
//    scene never sees a read-only buffer it would have to render.
//
// A screenshot request (zwlr_screencopy_frame_v1.copy*,
// ext_image_copy_capture_frame_v1.capture) is seen by a protocol logger just
// before wlroots dispatches it; the next frame then shows copies of
// read-only buffers, so the capture reads a frame the renderer can read.
//
// GPU renderers import dma-bufs into the GPU's memory manager and never map
// them, so the guard only exists for software renderers
// (EGL_MESA_device_software).
//
// To lift it: create one per wlr_scene_output when
// renderer_maps_dmabufs(renderer), and call before_commit() before each
// wlr_scene_output_commit or _build_state.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "event_source.hpp"
#include "listener.hpp"
#include "wlr.hpp"

namespace fencecam {

// Whether `renderer` reads client dma-bufs through CPU mappings.
bool renderer_maps_dmabufs(wlr_renderer *renderer);

class ReadOnlyBufferGuard {
  public:
    ReadOnlyBufferGuard(wl_display *display, wlr_scene_output *scene_output);
    ~ReadOnlyBufferGuard();
    ReadOnlyBufferGuard(const ReadOnlyBufferGuard &) = delete;
    ReadOnlyBufferGuard &operator=(const ReadOnlyBufferGuard &) = delete;

    void before_commit();

  private:
    // A read-only client buffer's node that this guard has touched.
    struct Watched {
        Watched() = default;
        Watched(const Watched &) = delete;
        Watched &operator=(const Watched &) = delete;
        ~Watched();
        wlr_scene_buffer *node = nullptr; // null once destroyed
        // The last copy (we hold a lock on it) and the client buffer it was
        // made from, while that exists.
        wlr_buffer *copy = nullptr;
        wlr_buffer *copied_from = nullptr;
        bool hidden = false;
        bool said_copied = false;
        bool said_hidden = false;
        Listener<> node_destroy;
        Listener<> source_destroy;
    };

    // Returns true while the node needs another look soon (a frame still
    // being written, or nothing to show yet).
    bool guard(wlr_scene_buffer *node, bool capture_pending);
    bool show_copy(Watched &watched, wlr_buffer *latest, const char *why);
    bool scanout_certain(wlr_scene_buffer *candidate, bool capture_pending);
    wlr_scene_node *topmost_node(wlr_scene_buffer *candidate);
    Watched &watch(wlr_scene_buffer *node);
    Watched *find(wlr_scene_buffer *node);
    void hide(Watched &watched, const std::string &why);
    void unhide(Watched &watched);
    static void log_request(void *data, wl_protocol_logger_type type,
                            const wl_protocol_logger_message *message);

    wlr_scene_output *scene_output_;
    wl_protocol_logger *logger_;
    // Screenshot requests seen, and how many the last frame already served.
    unsigned long captures_requested_ = 0;
    unsigned long captures_served_ = 0;
    std::list<Watched> watched_;
    // While something is hidden or waits for a fence: schedules a frame to
    // look again.
    static constexpr int recheck_ms = 100;
    EventSource recheck_;
};

} // namespace fencecam
