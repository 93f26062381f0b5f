// Whether a software renderer has finished the frames it was given.
//
// A GPU driver fences what it renders: the page flip waits for the frame to
// be drawn, so an output's frame events pace a compositor to what the GPU
// can do. A software renderer (llvmpipe) fences nothing: KMS flips the
// buffer at once, and a compositor that renders again at every flip queues
// frames faster than they are drawn. Under emulation fencecam queued a
// minute of work in four seconds, and the first GL call that had to wait
// for it stalled the event loop, signals and all, for that minute.
//
// So an output renders again only once the renderer has drawn what it was
// given: after each commit that rendered (not one that scanned a buffer out
// as it is) an EGL fence goes into the renderer's context, and the next
// commit waits for it (Output polls; the fence has no fd). At most one frame
// is ever queued.
#pragma once

#include <memory>

#include "wlr_gles2.hpp"

namespace fencecam {

class RenderCompletion {
  public:
    // nullptr where nothing is needed: a renderer that fences its own work
    // (it can hand KMS a fence: timeline support) or draws synchronously
    // (pixman).
    static std::unique_ptr<RenderCompletion> create(wlr_renderer *renderer);
    ~RenderCompletion();
    RenderCompletion(const RenderCompletion &) = delete;
    RenderCompletion &operator=(const RenderCompletion &) = delete;

    // After a commit that rendered: what has been submitted so far is to be
    // waited for.
    void submitted();
    // Whether it has been drawn (or no fence could be made).
    bool drawn();

  private:
    explicit RenderCompletion(wlr_egl *egl)
        : egl_(egl) {}
    void forget();

    wlr_egl *egl_;
    EGLSync fence_ = EGL_NO_SYNC;
};

} // namespace fencecam
