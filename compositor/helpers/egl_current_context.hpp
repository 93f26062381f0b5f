// The renderer's EGL context, current for the lifetime of this object, and
// whatever was current before restored afterwards. For the short GL work
// fencecam does in wlroots' own context outside a render pass: the HUD's
// drawing, a limit query.
#pragma once

#include "wlr_gles2.hpp"

namespace fencecam {

class CurrentContext {
  public:
    explicit CurrentContext(wlr_egl *egl)
        : display_(eglGetCurrentDisplay())
        , context_(eglGetCurrentContext())
        , draw_(eglGetCurrentSurface(EGL_DRAW))
        , read_(eglGetCurrentSurface(EGL_READ))
        , ours_(wlr_egl_get_display(egl)) {
        // wlroots' contexts are surfaceless: they only ever draw into FBOs.
        current_ = eglMakeCurrent(ours_, EGL_NO_SURFACE, EGL_NO_SURFACE, wlr_egl_get_context(egl));
    }
    ~CurrentContext() {
        if (display_ != EGL_NO_DISPLAY) {
            eglMakeCurrent(display_, draw_, read_, context_);
        } else {
            eglMakeCurrent(ours_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        }
    }
    CurrentContext(const CurrentContext &) = delete;
    CurrentContext &operator=(const CurrentContext &) = delete;

    explicit operator bool() const { return current_; }

  private:
    EGLDisplay display_;
    EGLContext context_;
    EGLSurface draw_;
    EGLSurface read_;
    EGLDisplay ours_;
    bool current_;
};

} // namespace fencecam
