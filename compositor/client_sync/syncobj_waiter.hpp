// The syncobj waiter: explicit sync (linux-drm-syncobj-v1) with the same
// guarantee as the implicit-sync waiter.
//
// wlroots 0.20 holds a commit only until a fence *materialises* at its
// acquire point, then hands the point to the renderer and KMS as an
// unbounded wait (or, where they cannot wait, shows the buffer unfinished).
// Here the commit is held (wlr_surface_lock_pending) until the point has
// *signalled*, within a bound, and the point is then taken out of the
// surface state. An errored point is withheld (held_commits.hpp); one still
// pending at the bound ends the client. Release points are held by
// release_after_flip.hpp. The whole story: docs/syncobj-waiter.md.
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
