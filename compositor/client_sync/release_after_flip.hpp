// Release means released: a client gets a dma-buf back (wl_buffer.release,
// and its linux-drm-syncobj release point) only once no output can read it.
//
// What wlroots 0.20 does: the release point is signalled when the surface's
// next buffer is applied, unless the renderer and the backend add release
// fences of their own, which software renderers and display-only KMS drivers
// (llvmpipe, vkms) cannot; a composited wl_buffer is released at that moment
// too (only KMS holds a scanned-out one until its flip). So a buffer came
// back while KMS still scanned it out, or while the render that read it could
// still run, and before a frame without it was shown. A camera client
// requeues such a buffer at once, and the camera writes into what is on
// screen: tearing, exactly what fences are there to prevent.
//
// Here, each client dma-buf a surface shows is held:
//  - its wl_buffer stays locked, and its release point waits for a point on
//    a timeline of ours (wlr_linux_drm_syncobj_v1_state_add_release_point);
//  - once the surface has moved on (a new buffer, or the surface is gone),
//    every output the surface is on must present a frame committed after
//    that moment: a frame that no longer reads the buffer. Scanned out, that
//    is the page flip that took it off the plane; composited, the flip of a
//    later render, so the render that read it is done;
//  - and the scene and KMS must have dropped the wlr_client_buffer that
//    wraps it (a plane scanning it out has flipped);
//  - then our point is signalled and the wl_buffer unlocked.
// Nothing waits on an output that does not show the surface, or that has
// not committed a frame since the buffer arrived (it never read it): such
// buffers come back as soon as the surface moves on. wl_shm buffers are copied at
// commit and never held.
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
