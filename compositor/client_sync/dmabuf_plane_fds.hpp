// The plane fd guard: no sequence of zwp_linux_buffer_params_v1 requests
// leaves a client's dma-buf fd open in the compositor.
//
// wlroots 0.20 keeps each `add`ed fd in slot plane_idx (0..3) and counts the
// planes it has, but closes only slots 0..count-1, when the params are
// destroyed unused and when `create` fails. A client that adds planes 1 and
// 3 (count 2) leaves slot 3 behind; one that adds only plane 1 (count 1) and
// destroys the params, with no protocol error at all, leaves its only fd
// behind. A loop of those runs the compositor out of fds
// (patches/wlroots/ has the fix for wlroots itself).
//
// A protocol logger sees every `add` just before wlroots dispatches it,
// fd included, and applies wlroots' own rules to know which slot now holds
// which fd (wlroots closes an fd it refuses: a used params object, an
// index past 3, a slot already set, a modifier unlike the others'). When
// the params object is destroyed (by the client, or with the client), the
// fds in slots at or past the count are closed here: wlroots closes the
// others, or a created buffer owns them, and a `create` with such a gap
// always fails, so nothing else will ever close them.
//
// To lift it: call guard_dmabuf_plane_fds after wlr_linux_dmabuf_v1_create;
// it frees itself with the linux-dmabuf global. Drop it once wlroots closes
// every slot.
#pragma once

#include "wlr.hpp"

namespace fencecam {

void guard_dmabuf_plane_fds(wlr_linux_dmabuf_v1 *linux_dmabuf, wl_display *display);

} // namespace fencecam
