// The implicit-sync waiter: a client's dma-buf is shown only once its
// producer has finished writing it.
//
// A linux-dmabuf client (a camera app, a GPU renderer) may commit a buffer
// that is still being written: the producer's progress is a "write fence"
// in the dma-buf's reservation object, the implicit sync of Linux graphics.
// A GPU renderer waits for it inside its command stream; KMS waits for it
// before a flip. Neither bounds the wait, so one late fence would freeze
// the whole screen, and a software renderer does not wait at all and shows
// a half-written frame. wlroots 0.20 has no waiter of its own (upstream
// merge requests !4040 and !5329 are unmerged); Mutter and KWin wait in
// userspace, and so does this file:
//
//  - at every wl_surface.commit that attaches a dma-buf, the write fences
//    of all its planes are exported as one sync_file
//    (DMA_BUF_IOCTL_EXPORT_SYNC_FILE);
//  - if any is unsignalled, the commit is held with wlr_surface_lock_pending:
//    the surface keeps showing its previous buffer, and later commits queue
//    behind the held one, so the client's frames stay in order;
//  - the sync_file is watched in the event loop (it polls readable once
//    signalled), and the commit is applied the moment it signals;
//  - a fence that signals an error (a failed camera buffer, or one
//    STREAMOFF took back) is withheld: applied only together with the
//    surface's next ready commit, so no output ever samples it
//    (held_commits.hpp);
//  - the wait is bounded: a fence still pending after `timeout` ends the
//    client with a protocol error and a log line: a dma_fence must signal
//    in finite time (the kernel's own rule), so a producer that misses a
//    generous bound is broken. Other surfaces and the output never wait.
//
// Surfaces that use linux-drm-syncobj-v1 are skipped: explicit sync replaces
// implicit fences (see syncobj_waiter.hpp).
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
