// A CPU copy of a dma-buf, for a renderer that must not read the dma-buf
// itself (a read-only dma-buf under llvmpipe: readonly_buffer_guard.hpp).
//
// The dma-buf is mapped PROT_READ, its pixels copied into a MemoryBuffer,
// and the result is a wlr_buffer any renderer can upload. The pixels are
// read only once the dma-buf's write fences have signalled, never by
// waiting for them (dmabuf_cpu_read.hpp): a dma-buf still being written is
// `busy`. Only one linear plane of a format the renderer lists for
// data-pointer buffers (RGB) can be copied; YUV is `unsupported`. A copy
// costs a frame's memory bandwidth on the compositor's thread: use it only
// for frames that cannot be scanned out as they are.
//
// To lift it: call copy_dmabuf() with the renderer's
// wlr_renderer_get_texture_formats(renderer, WLR_BUFFER_CAP_DATA_PTR) and
// show the result in a wlr_scene_buffer; is_dmabuf_copy() tells such buffers
// apart (e.g. for statistics).
#pragma once

#include <string>

#include "wlr.hpp"

namespace fencecam {

struct DmabufCopy {
    enum class Status {
        copied,      // `buffer` holds the pixels
        busy,        // a write fence is still pending: try again later
        unsupported, // a format or layout no copy can show; `why` says which
        failed,      // the dma-buf could not be mapped; `why` says why
    };
    Status status = Status::failed;
    // A lock for the caller, to wlr_buffer_unlock() when done; the buffer
    // goes with the last lock. Holding it keeps the pixels in the
    // wlr_scene_buffer showing them: the scene unlocks a non-client buffer
    // once uploaded and then forgets it (its `buffer` becomes NULL).
    wlr_buffer *buffer = nullptr;
    std::string why;
};

DmabufCopy copy_dmabuf(wlr_buffer *source, const wlr_drm_format_set *sampleable);

// Whether `buffer` was made by copy_dmabuf.
bool is_dmabuf_copy(wlr_buffer *buffer);

} // namespace fencecam
