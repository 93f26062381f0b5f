// wlr.hpp plus wlroots' GLES2 renderer and its EGL context, for the files
// that query or draw with GL in wlroots' own context. EGL and GLES2 come
// first, outside the `static` workaround (wlr.hpp), as their headers carry
// code of their own.
#pragma once

#define EGL_NO_X11
#define EGL_NO_PLATFORM_SPECIFIC_TYPES
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>

#include "wlr.hpp"

extern "C" {
#define static
#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#undef static
}
