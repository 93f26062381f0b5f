#include "readonly_buffer_guard.hpp"

#include <algorithm>
#include <cstring>

#include <fcntl.h>

#include "client_name.hpp"
#include "dmabuf_cpu_copy.hpp"
#include "dmabuf_layout.hpp"
#include "wlr_gles2.hpp"

namespace fencecam {

namespace {

// The client's own wlr_buffer behind what the scene shows: wlr_compositor
// wraps it in a wlr_client_buffer, and direct scanout hands the source on.
wlr_buffer *client_source(wlr_buffer *buffer) {
    wlr_client_buffer *client_buffer = wlr_client_buffer_get(buffer);
    return client_buffer && client_buffer->source ? client_buffer->source : buffer;
}

bool is_read_only(wlr_buffer *buffer) {
    wlr_dmabuf_attributes dmabuf;
    if (!buffer || !wlr_buffer_get_dmabuf(client_source(buffer), &dmabuf)) {
        return false;
    }
    for (int i = 0; i < dmabuf.n_planes; ++i) {
        if ((fcntl(dmabuf.fd[i], F_GETFL) & O_ACCMODE) == O_RDONLY) {
            return true;
        }
    }
    return false;
}

bool is_opaque(wlr_buffer *buffer) {
    wlr_dmabuf_attributes dmabuf;
    if (!wlr_buffer_get_dmabuf(client_source(buffer), &dmabuf)) {
        return false;
    }
    const DrmFormatInfo *info = find_drm_format_info(dmabuf.format);
    return info && !info->has_alpha;
}

// The size a node covers in the layout.
void node_size(wlr_scene_node *node, int &width, int &height) {
    width = height = 0;
    if (node->type == WLR_SCENE_NODE_RECT) {
        const wlr_scene_rect *rect = wlr_scene_rect_from_node(node);
        width = rect->width;
        height = rect->height;
    } else if (node->type == WLR_SCENE_NODE_BUFFER) {
        const wlr_scene_buffer *buffer = wlr_scene_buffer_from_node(node);
        width = buffer->dst_width;
        height = buffer->dst_height;
        if (width <= 0 && buffer->buffer) {
            width = buffer->buffer->width;
            height = buffer->buffer->height;
        }
    }
}

// Visits the nodes that draw something, bottom to top, as the scene renders
// them; `also_enabled` counts as enabled (a node this guard has hidden).
template <class Visit>
void for_each_drawn_node(wlr_scene_tree *tree, int x, int y, wlr_scene_node *also_enabled,
                         Visit &&visit) {
    wlr_scene_node *node;
    wl_list_for_each(node, &tree->children, link) {
        if (!node->enabled && node != also_enabled) {
            continue;
        }
        if (node->type == WLR_SCENE_NODE_TREE) {
            for_each_drawn_node(wlr_scene_tree_from_node(node), x + node->x, y + node->y,
                                also_enabled, visit);
        } else {
            visit(node, x + node->x, y + node->y);
        }
    }
}

// The client's newest buffer for a surface's node: what the scene shows
// unless this guard put a copy there. Other nodes: their own buffer.
wlr_buffer *latest_buffer(wlr_scene_buffer *node) {
    wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(node);
    if (!scene_surface) {
        return node->buffer;
    }
    wlr_client_buffer *buffer = scene_surface->surface->buffer;
    return buffer ? &buffer->base : nullptr;
}

std::string client_of(wlr_scene_buffer *node) {
    wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(node);
    return scene_surface ? describe_client(wl_resource_get_client(scene_surface->surface->resource))
                         : std::string("a client");
}

} // namespace

bool renderer_maps_dmabufs(wlr_renderer *renderer) {
    if (!wlr_renderer_is_gles2(renderer)) {
        return false;
    }
    // Mesa marks its software devices (llvmpipe, softpipe) with this EGL
    // device extension; wlroots asks the same question to allow them.
    EGLDisplay display = wlr_egl_get_display(wlr_gles2_renderer_get_egl(renderer));
    auto query_display = reinterpret_cast<PFNEGLQUERYDISPLAYATTRIBEXTPROC>(
        eglGetProcAddress("eglQueryDisplayAttribEXT"));
    auto query_device = reinterpret_cast<PFNEGLQUERYDEVICESTRINGEXTPROC>(
        eglGetProcAddress("eglQueryDeviceStringEXT"));
    EGLAttrib device = 0;
    if (!query_display || !query_device || !query_display(display, EGL_DEVICE_EXT, &device)) {
        // Cannot tell: guard, as the only safe answer.
        return true;
    }
    const char *extensions = query_device(reinterpret_cast<EGLDeviceEXT>(device), EGL_EXTENSIONS);
    return !extensions || std::strstr(extensions, "EGL_MESA_device_software") != nullptr;
}

ReadOnlyBufferGuard::ReadOnlyBufferGuard(wl_display *display, wlr_scene_output *scene_output)
    : scene_output_(scene_output)
    , logger_(wl_display_add_protocol_logger(display, &ReadOnlyBufferGuard::log_request, this))
    , recheck_(EventSource::timer(wl_display_get_event_loop(display),
                                  [this] { wlr_output_schedule_frame(scene_output_->output); })) {}

ReadOnlyBufferGuard::~ReadOnlyBufferGuard() {
    wl_protocol_logger_destroy(logger_);
}

// Runs for every request and event: a screenshot request is counted.
void ReadOnlyBufferGuard::log_request(void *data, wl_protocol_logger_type type,
                                      const wl_protocol_logger_message *message) {
    if (type != WL_PROTOCOL_LOGGER_REQUEST) {
        return;
    }
    const char *request = message->message->name;
    const char *interface = wl_resource_get_class(message->resource);
    const bool screencopy = std::strcmp(interface, "zwlr_screencopy_frame_v1") == 0 &&
                            std::strncmp(request, "copy", 4) == 0;
    const bool image_copy = std::strcmp(interface, "ext_image_copy_capture_frame_v1") == 0 &&
                            std::strcmp(request, "capture") == 0;
    if (screencopy || image_copy) {
        ++static_cast<ReadOnlyBufferGuard *>(data)->captures_requested_;
    }
}

ReadOnlyBufferGuard::Watched::~Watched() {
    if (copy) {
        wlr_buffer_unlock(copy);
    }
}

void ReadOnlyBufferGuard::before_commit() {
    // This frame is the one a waiting screenshot copies.
    const bool capture_pending = captures_requested_ != captures_served_;
    captures_served_ = captures_requested_;
    watched_.remove_if([](const Watched &watched) { return watched.node == nullptr; });

    // Hidden nodes are not among the output's buffers: look at them too.
    std::list<wlr_scene_buffer *> candidates;
    for (const Watched &watched : watched_) {
        candidates.push_back(watched.node);
    }
    wlr_scene_output_for_each_buffer(
        scene_output_,
        [](wlr_scene_buffer *node, int, int, void *data) {
            auto *list = static_cast<std::list<wlr_scene_buffer *> *>(data);
            if (is_read_only(node->buffer) &&
                std::find(list->begin(), list->end(), node) == list->end()) {
                list->push_back(node);
            }
        },
        &candidates);

    bool look_again = false;
    for (wlr_scene_buffer *node : candidates) {
        look_again |= guard(node, capture_pending);
    }
    // A hidden surface gets no frame callbacks, so its client may wait for
    // one before it commits again, and nothing else may damage the output:
    // look again every so often, so that a buffer hidden for a moment comes
    // back by itself, and a frame that was still being written gets copied.
    recheck_.arm(look_again ? recheck_ms : 0);
}

bool ReadOnlyBufferGuard::guard(wlr_scene_buffer *node, bool capture_pending) {
    Watched *watched = find(node);
    wlr_buffer *latest = latest_buffer(node);
    if (!latest || !is_read_only(latest)) {
        // The client moved on to a writable buffer, or to none; the scene
        // shows it as it is.
        if (watched) {
            unhide(*watched);
            watched_.remove_if([watched](const Watched &w) { return &w == watched; });
        }
        return false;
    }
    if (node->buffer == latest && scanout_certain(node, capture_pending)) {
        if (watched && watched->hidden) {
            wlr_log(WLR_INFO, "read-only dma-buf shown again: it is scanned out directly");
            unhide(*watched);
        }
        return false; // zero copy
    }
    return show_copy(watched ? *watched : watch(node), latest,
                     capture_pending ? "a screenshot reads this frame"
                                     : "it must be composited (not fullscreen at the output's "
                                       "size, or something above it)");
}

bool ReadOnlyBufferGuard::show_copy(Watched &watched, wlr_buffer *latest, const char *why) {
    wlr_scene_buffer *node = watched.node;
    if (watched.copy && watched.copied_from == latest) {
        // Nothing new from the client: a commit without a new buffer put its
        // buffer back on the node, and the copy of it is still good.
        if (node->buffer == latest) {
            wlr_scene_buffer_set_buffer(node, watched.copy);
        }
        unhide(watched);
        return false;
    }
    wlr_renderer *renderer = scene_output_->output->renderer;
    DmabufCopy copy =
        copy_dmabuf(latest, wlr_renderer_get_texture_formats(renderer, WLR_BUFFER_CAP_DATA_PTR));
    switch (copy.status) {
    case DmabufCopy::Status::copied:
        if (watched.copy) {
            wlr_buffer_unlock(watched.copy);
        }
        watched.copy = copy.buffer;
        watched.copied_from = latest;
        // Forgotten with the client's buffer, so that a new buffer at the
        // same address is never taken for the one copied.
        watched.source_destroy.connect(&latest->events.destroy, this,
                                       &ReadOnlyBufferGuard::handle_source_destroy, watched);
        wlr_scene_buffer_set_buffer(node, watched.copy);
        unhide(watched);
        if (!watched.said_copied) {
            watched.said_copied = true;
            wlr_log(WLR_INFO,
                    "%s: read-only dma-buf shown on %s through a CPU copy (%dx%d, each new frame "
                    "copied): %s, and the software renderer cannot map read-only dma-bufs "
                    "(export them O_RDWR for zero copy)",
                    client_of(node).c_str(), scene_output_->output->name, latest->width,
                    latest->height, why);
        }
        return false;
    case DmabufCopy::Status::busy:
        // Written after it was committed: this frame is skipped, the last
        // copy stays, and the next frame tries again.
        if (watched.copy) {
            if (node->buffer == latest) {
                wlr_scene_buffer_set_buffer(node, watched.copy);
            }
            unhide(watched);
        } else {
            hide(watched, "its frame is still being written, and it has nothing else to show");
        }
        return true;
    case DmabufCopy::Status::unsupported:
    case DmabufCopy::Status::failed:
        hide(watched, std::string(why) + "; " + copy.why);
        return true;
    }
    return false;
}

bool ReadOnlyBufferGuard::scanout_certain(wlr_scene_buffer *candidate, bool capture_pending) {
    wlr_output *output = scene_output_->output;
    if (capture_pending || !wlr_output_is_direct_scanout_allowed(output) ||
        topmost_node(candidate) != &candidate->node || !is_opaque(candidate->buffer) ||
        candidate->transform != output->transform || candidate->opacity < 1.0f) {
        return false;
    }
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
    wlr_scene_node_coords(&candidate->node, &x, &y);
    node_size(&candidate->node, width, height);
    wlr_buffer *buffer = candidate->buffer;
    const bool covers_exactly = x == scene_output_->x && y == scene_output_->y &&
                                width == output->width && height == output->height &&
                                buffer->width == output->width && buffer->height == output->height;
    const bool cropped =
        !wlr_fbox_empty(&candidate->src_box) &&
        (candidate->src_box.x != 0 || candidate->src_box.y != 0 ||
         candidate->src_box.width != buffer->width || candidate->src_box.height != buffer->height);
    if (!covers_exactly || cropped) {
        return false;
    }
    // What the scene itself will try: the client's buffer on the primary plane.
    wlr_output_state state;
    wlr_output_state_init(&state);
    wlr_output_state_set_buffer(&state, client_source(buffer));
    const bool accepted = wlr_output_test_state(output, &state);
    wlr_output_state_finish(&state);
    return accepted;
}

// The last node the scene would draw on this output, with `candidate`
// counted even if hidden.
wlr_scene_node *ReadOnlyBufferGuard::topmost_node(wlr_scene_buffer *candidate) {
    wlr_output *output = scene_output_->output;
    const wlr_box output_box{scene_output_->x, scene_output_->y, output->width, output->height};
    wlr_scene_node *top = nullptr;
    for_each_drawn_node(&scene_output_->scene->tree, 0, 0, &candidate->node,
                        [&](wlr_scene_node *node, int x, int y) {
                            wlr_box box{x, y, 0, 0};
                            node_size(node, box.width, box.height);
                            wlr_box overlap;
                            if (wlr_box_intersection(&overlap, &box, &output_box)) {
                                top = node;
                            }
                        });
    return top;
}

ReadOnlyBufferGuard::Watched &ReadOnlyBufferGuard::watch(wlr_scene_buffer *node) {
    Watched &watched = watched_.emplace_back();
    watched.node = node;
    // Marked gone here and erased at the next frame (before_commit), so that
    // watched_ only ever changes where nothing is walking it.
    watched.node_destroy.connect(&node->node.events.destroy, this,
                                 &ReadOnlyBufferGuard::handle_node_destroy, watched);
    return watched;
}

void ReadOnlyBufferGuard::handle_node_destroy(Watched &watched) {
    watched.node = nullptr;
    watched.node_destroy.disconnect();
    watched.source_destroy.disconnect();
}

void ReadOnlyBufferGuard::handle_source_destroy(Watched &watched) {
    watched.copied_from = nullptr;
    watched.source_destroy.disconnect();
}

ReadOnlyBufferGuard::Watched *ReadOnlyBufferGuard::find(wlr_scene_buffer *node) {
    for (Watched &watched : watched_) {
        if (watched.node == node) {
            return &watched;
        }
    }
    return nullptr;
}

void ReadOnlyBufferGuard::hide(Watched &watched, const std::string &why) {
    if (!watched.said_hidden) {
        watched.said_hidden = true;
        wlr_log(WLR_ERROR,
                "%s: read-only dma-buf not shown on %s: %s; the software renderer cannot read "
                "read-only dma-bufs (export them O_RDWR)",
                client_of(watched.node).c_str(), scene_output_->output->name, why.c_str());
    }
    // wlroots re-enables a surface's node when the surface moves: disabled
    // again at every frame.
    wlr_scene_node_set_enabled(&watched.node->node, false);
    watched.hidden = true;
}

void ReadOnlyBufferGuard::unhide(Watched &watched) {
    if (watched.hidden) {
        wlr_scene_node_set_enabled(&watched.node->node, true);
        watched.hidden = false;
    }
}

} // namespace fencecam
