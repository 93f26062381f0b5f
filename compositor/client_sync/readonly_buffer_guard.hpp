// The read-only guard: a client dma-buf exported read-only reaches the
// screen by direct scanout, or as a CPU copy, never through a renderer that
// would map it writable.
//
// Why: a software GL renderer (llvmpipe) mmap()s an imported dma-buf
// PROT_READ | PROT_WRITE; on a dma-buf exported O_RDONLY that fails, and
// Mesa's rasteriser threads crash the compositor. Rejecting such buffers
// would break clients that scan out fine today. So before each output
// commit, a read-only buffer stays on its node only if the scene is certain
// to scan it out (topmost, exactly covering the output, accepted by the
// display, no screenshot pending); otherwise the node shows a CPU copy of
// it (dmabuf_cpu_copy.hpp), or nothing for a format no copy can show. GPU
// renderers never map dma-bufs, so the guard exists only for software ones.
// The whole story: docs/dmabuf-import-check.md, "The read-only guard".
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
    void handle_node_destroy(Watched &watched);
    void handle_source_destroy(Watched &watched);
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
