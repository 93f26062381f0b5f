// Release means released: a client gets a dma-buf back (wl_buffer.release,
// and its linux-drm-syncobj release point) only once no output can read it.
//
// Without release fences from the renderer and backend (llvmpipe, vkms),
// wlroots 0.20 gives a buffer back when the surface's next buffer is
// applied, while KMS may still scan it out or a render may still read it; a
// camera client then requeues it and the camera writes into what is on
// screen. Here each client dma-buf stays locked, and its release point waits
// on a timeline of ours, until every output the surface is on has presented
// a frame committed after the surface moved on, and wlroots has dropped its
// wrapper. wl_shm buffers are copied at commit and never held. The whole
// story: docs/release-after-flip.md.
//
// To lift it: call create_release_after_flip once after wlr_compositor_create,
// with a DRM fd that has syncobj timelines where linux-drm-syncobj-v1 is
// offered (or -1). It frees itself with the compositor.
#pragma once

#include "wlr.hpp"

namespace fencecam {

void create_release_after_flip(wlr_compositor *compositor, wl_event_loop *loop,
                               int timeline_drm_fd);

} // namespace fencecam
