// The dma-buf import check: a client's bad linux-dmabuf parameters end in a
// protocol error and one log line naming the client, at buffer creation,
// not in a silent "Failed to create texture" at every commit.
//
// wlroots 0.20 checks little at creation, so a buffer the renderer cannot
// import gets a wl_buffer that never shows, and the client is told nothing.
// This check replaces wlroots' default one and, in order, refuses a size
// beyond buffer_size_limit.hpp, a format or modifier the renderer cannot
// sample, planes that do not fit their dma-bufs (dmabuf_layout.hpp), and
// what the renderer fails to import. A protocol logger remembers which
// params object is creating a buffer, since the callback is not told.
// The whole story: docs/dmabuf-import-check.md.
//
// To lift it: call set_dmabuf_import_check after wlr_linux_dmabuf_v1_create.
// It frees itself with the linux-dmabuf global.
#pragma once

#include "buffer_size_limit.hpp"
#include "wlr.hpp"

namespace fencecam {

void set_dmabuf_import_check(wlr_linux_dmabuf_v1 *linux_dmabuf, wl_display *display,
                             wlr_renderer *renderer, const BufferSizeLimit &size_limit);

} // namespace fencecam
