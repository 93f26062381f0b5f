// The syncobj waiter: explicit sync (linux-drm-syncobj-v1) with the same
// guarantee as the implicit-sync waiter.
//
// An explicit-sync client attaches a buffer with an acquire point (the buffer
// is ready once this timeline point signals) and a release point (the
// compositor signals it once it no longer reads the buffer). What wlroots
// 0.20 does, and what this file adds:
//
//  acquire  wlroots holds the commit only until a fence *materialises* at the
//           point (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE), then hands the
//           point to the renderer and to KMS as a wait: an unbounded wait
//           on the GPU or in the display driver, so one late fence can
//           freeze the screen. Renderers and KMS drivers without timeline
//           support (llvmpipe, vkms) cannot wait at all and skip the buffer.
//           Here the commit is held (wlr_surface_lock_pending) until the
//           point has *signalled* (a syncobj eventfd with flags 0), within a
//           bound; once the commit is applied, the point is taken out of the
//           surface state, so the scene asks nobody to wait for a fence that
//           has already signalled.
//  release  wlroots signals the release point when the surface's state is
//           replaced, merged with the release fences of the outputs that
//           sampled it, where the renderer and backend support timelines.
//           Without them (vkms, llvmpipe), the point would signal while KMS
//           may still scan the old buffer out: release_after_flip.hpp holds
//           it until no output reads the buffer.
//  errors   an acquire point that signalled with an error (the producer
//           failed) is withheld: applied only together with the surface's
//           next ready commit, so no output ever samples it (held_commits.hpp).
//  bound    an acquire point still pending after `timeout` (never
//           materialised, a broken producer) ends the client with a protocol
//           error and a log line. Its surface keeps its previous buffer until
//           then; other surfaces and the output never wait for it.
//
// To lift it: call create_syncobj_waiter once after wlr_compositor_create,
// where linux-drm-syncobj-v1 is offered. It frees itself with the compositor.
#pragma once

#include <chrono>

#include "wlr.hpp"

namespace fencecam {

void create_syncobj_waiter(wlr_compositor *compositor, wl_event_loop *loop,
                           std::chrono::milliseconds timeout);

} // namespace fencecam
