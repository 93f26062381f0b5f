#include "buffer_size_limit.hpp"

#include <algorithm>

#include <xf86drmMode.h>

#include "egl_current_context.hpp"

namespace fencecam {

namespace {

BufferSizeLimit renderer_limit(wlr_renderer *renderer) {
    if (wlr_renderer_is_gles2(renderer)) {
        CurrentContext current(wlr_gles2_renderer_get_egl(renderer));
        GLint size = 0;
        if (current) {
            glGetIntegerv(GL_MAX_TEXTURE_SIZE, &size);
        }
        if (size > 0) {
            return {size, size, "GL_MAX_TEXTURE_SIZE " + std::to_string(size)};
        }
        // No answer: the smallest maximum GLES2 drivers report in practice.
        return {4096, 4096, "GL_MAX_TEXTURE_SIZE unknown, assumed 4096"};
    }
    if (wlr_renderer_is_pixman(renderer)) {
        return {32767, 32767, "pixman's 16.16 fixed-point coordinates"};
    }
    return {4096, 4096, "the size every renderer supports"};
}

} // namespace

BufferSizeLimit buffer_size_limit(wlr_renderer *renderer, wlr_backend *backend) {
    BufferSizeLimit limit = renderer_limit(renderer);
    // Only a KMS device answers; a render node (nested) or none (headless)
    // leaves the renderer's limit.
    const int drm_fd = wlr_backend_get_drm_fd(backend);
    if (drmModeRes *resources = drm_fd >= 0 ? drmModeGetResources(drm_fd) : nullptr) {
        const int width = static_cast<int>(resources->max_width);
        const int height = static_cast<int>(resources->max_height);
        drmModeFreeResources(resources);
        if (width > 0 && height > 0 && (width < limit.width || height < limit.height)) {
            limit.width = std::min(limit.width, width);
            limit.height = std::min(limit.height, height);
            limit.why += ", display's largest framebuffer " + std::to_string(width) + "x" +
                         std::to_string(height);
        }
    }
    return limit;
}

} // namespace fencecam
