// The implicit-sync waiter: a client's dma-buf is shown only once its
// producer has finished writing it.
//
// A linux-dmabuf client may commit a buffer whose implicit write fence has
// not signalled yet. A GPU renderer or KMS would wait for it without bound
// (one late fence freezes the screen), and a software renderer would show it
// half-written; wlroots 0.20 has no waiter of its own. So, as Mutter and KWin
// do, the commit's fences are exported as one sync_file, and the commit is
// held (wlr_surface_lock_pending) until it signals, in order with the
// surface's later commits. An errored fence is withheld (held_commits.hpp);
// one still pending at the bound ends the client. Surfaces that use
// linux-drm-syncobj-v1 are left to syncobj_waiter.hpp. The whole story:
// docs/implicit-sync-waiter.md.
//
// To lift it: call create_implicit_sync_waiter once after
// wlr_compositor_create. It frees itself with the compositor.
#pragma once

#include <chrono>

#include "wlr.hpp"

namespace fencecam {

void create_implicit_sync_waiter(wlr_compositor *compositor, wl_event_loop *loop,
                                 std::chrono::milliseconds timeout);

} // namespace fencecam
