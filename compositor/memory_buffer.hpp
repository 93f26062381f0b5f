// A wlr_buffer of ordinary memory that the compositor draws into with the
// CPU, e.g. with pixman, and shows in a wlr_scene_buffer.
//
// Any renderer can show it: pixman reads the pixels where they are, GLES2
// uploads them to a texture. A buffer from the output's allocator is not
// always mappable (GBM buffers are not), which is why the HUD's pixman
// painter uses this one.
#pragma once

#include <cstdint>
#include <memory>

#include "wlr.hpp"

namespace fencecam {

class MemoryBuffer {
  public:
    // ARGB8888 (premultiplied, as everywhere in wlroots), all transparent.
    // The caller owns the buffer until wlr_buffer_drop; after that it lives
    // as long as someone holds a lock on it.
    static wlr_buffer *create(int width, int height);

  private:
    MemoryBuffer(int width, int height);

    static MemoryBuffer *from(wlr_buffer *buffer);
    static void handle_destroy(wlr_buffer *buffer);
    static bool handle_begin_data_ptr_access(wlr_buffer *buffer, uint32_t flags, void **data,
                                             uint32_t *format, size_t *stride);
    static void handle_end_data_ptr_access(wlr_buffer *buffer);
    static const wlr_buffer_impl impl;

    wlr_buffer base_;
    size_t stride_;
    std::unique_ptr<uint32_t[]> pixels_;
};

} // namespace fencecam
