// The dma-buf import check: a client's bad linux-dmabuf parameters end in a
// protocol error and one log line naming the client, at buffer creation,
// not in a silent "Failed to create texture" at every commit.
//
// wlroots 0.20 checks plane 0 against its dma-buf's size and, through its
// default check, that each fd is a dma-buf the main DRM device can import.
// A buffer that passes but that the renderer cannot import (an unknown
// format or modifier, a stride shorter than a row, a chroma plane past the
// end of its dma-buf) gets a wl_buffer that never shows: wlr_compositor
// imports every client buffer as a texture at commit, and keeps showing the
// previous one when that fails, even where the display could have scanned
// the buffer out. The client is told nothing and keeps sending frames.
//
// wlr_linux_dmabuf_v1_set_check_dmabuf_callback replaces wlroots' default
// check, so this one does what that did and more, in order:
//  0. the size is within what the renderer can sample and the display can
//     scan out (buffer_size_limit.hpp): INVALID_DIMENSIONS otherwise, before
//     anything touches the buffer;
//  1. the format and modifier are among the renderer's texture formats
//     (INVALID_FORMAT otherwise);
//  2. the planes fit their dma-bufs (dmabuf_layout.hpp: plane count, strides
//     against the width, offset + stride x rows against lseek(SEEK_END),
//     with the chroma planes' own height): OUT_OF_BOUNDS / INCOMPLETE;
//  3. the renderer really imports it (wlr_texture_from_buffer on a borrowed
//     wlr_buffer): what catches a non-dma-buf fd and driver limits. A failure
//     is "failed" for create and INVALID_WL_BUFFER for create_immed, as the
//     protocol asks for import errors that are not obvious client bugs.
//
// The callback is not told which client it checks. A protocol logger (the
// public libwayland hook that sees each request just before it is
// dispatched) remembers the zwp_linux_buffer_params_v1 that is creating a
// buffer, so the error goes to that object and the log names its client.
//
// It also says, once a buffer, when a client shares read-only dma-bufs
// (see readonly_buffer_guard.hpp for why that matters).
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
