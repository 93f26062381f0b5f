#include "render_completion.hpp"

#include "egl_current_context.hpp"

namespace fencecam {

std::unique_ptr<RenderCompletion> RenderCompletion::create(wlr_renderer *renderer) {
    if (!wlr_renderer_is_gles2(renderer) || renderer->features.timeline) {
        return nullptr;
    }
    return std::unique_ptr<RenderCompletion>(
        new RenderCompletion(wlr_gles2_renderer_get_egl(renderer)));
}

RenderCompletion::~RenderCompletion() {
    forget();
}

void RenderCompletion::submitted() {
    CurrentContext current(egl_);
    if (!current) {
        return;
    }
    forget();
    // A fence sync flushes the context and signals once the work before it
    // has executed: for llvmpipe, once its rasteriser threads are done.
    fence_ = eglCreateSync(wlr_egl_get_display(egl_), EGL_SYNC_FENCE, nullptr);
}

bool RenderCompletion::drawn() {
    if (fence_ == EGL_NO_SYNC) {
        return true;
    }
    const EGLint status = eglClientWaitSync(wlr_egl_get_display(egl_), fence_, 0, 0);
    if (status == EGL_TIMEOUT_EXPIRED) {
        return false;
    }
    forget(); // signalled, or an error that waiting will not mend
    return true;
}

void RenderCompletion::forget() {
    if (fence_ != EGL_NO_SYNC) {
        eglDestroySync(wlr_egl_get_display(egl_), fence_);
        fence_ = EGL_NO_SYNC;
    }
}

} // namespace fencecam
