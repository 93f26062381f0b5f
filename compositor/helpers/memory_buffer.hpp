// A wlr_buffer of ordinary memory that the compositor draws or copies into
// with the CPU, e.g. with pixman, and shows in a wlr_scene_buffer.
//
// Any renderer can show it: pixman reads the pixels where they are, GLES2
// uploads them to a texture. A buffer from the output's allocator is not
// always mappable (GBM buffers are not), which is why the HUD's pixman
// painter uses this one; a CPU copy of a client's dma-buf lands in one too
// (dmabuf_cpu_copy.hpp).
#pragma once

#include <cstdint>
#include <memory>

#include <drm_fourcc.h>

#include "wlr.hpp"

namespace fencecam {

class MemoryBuffer {
  public:
    // All zero (ARGB8888 is all transparent, premultiplied as everywhere in
    // wlroots), rows packed. `format` must have one plane and one pixel per
    // block (RGB formats); nullptr otherwise. The caller owns the buffer
    // until wlr_buffer_drop; after that it lives as long as someone holds a
    // lock on it. Write into it with wlr_buffer_begin_data_ptr_access.
    static wlr_buffer *create(int width, int height, uint32_t format = DRM_FORMAT_ARGB8888);

  private:
    MemoryBuffer(int width, int height, uint32_t format, size_t stride);

    static MemoryBuffer *from(wlr_buffer *buffer);
    static void handle_destroy(wlr_buffer *buffer);
    static bool handle_begin_data_ptr_access(wlr_buffer *buffer, uint32_t flags, void **data,
                                             uint32_t *format, size_t *stride);
    static void handle_end_data_ptr_access(wlr_buffer *buffer);
    static const wlr_buffer_impl impl;

    wlr_buffer base_;
    uint32_t format_;
    size_t stride_;
    std::unique_ptr<uint8_t[]> pixels_;
};

} // namespace fencecam
