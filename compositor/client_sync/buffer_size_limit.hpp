// The largest client buffer fencecam will show, and why that size.
//
// A dma-buf can be any size its allocator allows (udmabuf: 16x524288 XR24
// is a valid 32 MiB buffer), but the renderer can only sample textures up to
// a limit, and beyond it drivers misbehave rather than fail: llvmpipe
// imports a 16x524288 dma-buf, then crashes the compositor the first time
// it is composited. The display has a limit too: the largest framebuffer
// KMS accepts. The import check (dmabuf_import_check.hpp) refuses larger
// buffers with a protocol error that names this limit.
//
// - GLES2: GL_MAX_TEXTURE_SIZE, read in wlroots' own EGL context (the
//   renderer has no getter for it);
// - pixman: 32767, the largest coordinate its 16.16 fixed-point transforms
//   can address;
// - another renderer: 4096, the size every Vulkan device must support;
// - and, on a DRM backend, no more than the device's largest framebuffer
//   (drmModeGetResources' max_width and max_height).
#pragma once

#include <string>

#include "wlr.hpp"

namespace fencecam {

struct BufferSizeLimit {
    int width;
    int height;
    std::string why; // e.g. "GL_MAX_TEXTURE_SIZE 16384"
};

BufferSizeLimit buffer_size_limit(wlr_renderer *renderer, wlr_backend *backend);

} // namespace fencecam
