// wlroots from C++: the headers every technique here uses (buffers, the
// renderer's interface, outputs, the scene). wlr_gles2.hpp adds EGL and
// GLES2 for the few files that need them.
//
// wlroots is C99 and a few of its headers declare array parameters as
// `T name[static N]`, which is not C++. Headers that carry real `static
// inline` code (wayland, pixman) are included first, normally; then wlroots
// is parsed with `static` defined away. Include this header instead of any
// <wlr/...> header.
#pragma once

#include <pixman.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

extern "C" {
#define static
#include <wlr/backend.h>
#include <wlr/interfaces/wlr_buffer.h>
#include <wlr/render/allocator.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/drm_syncobj.h>
#include <wlr/render/pixman.h>
#include <wlr/render/swapchain.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_linux_dmabuf_v1.h>
#include <wlr/types/wlr_linux_drm_syncobj_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include <wlr/version.h>
#undef static
}
