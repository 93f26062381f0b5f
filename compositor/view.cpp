#include "view.hpp"

#include "seat.hpp"
#include "server.hpp"

namespace fencecam {

namespace {

// The scene buffer that shows `surface` itself (not its subsurfaces).
wlr_scene_buffer *find_surface_buffer(wlr_scene_tree *tree, wlr_surface *surface) {
    wlr_scene_node *node;
    wl_list_for_each(node, &tree->children, link) {
        if (node->type == WLR_SCENE_NODE_BUFFER) {
            wlr_scene_buffer *buffer = wlr_scene_buffer_from_node(node);
            wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(buffer);
            if (scene_surface && scene_surface->surface == surface) {
                return buffer;
            }
        } else if (node->type == WLR_SCENE_NODE_TREE) {
            if (wlr_scene_buffer *found =
                    find_surface_buffer(wlr_scene_tree_from_node(node), surface)) {
                return found;
            }
        }
    }
    return nullptr;
}

} // namespace

View::View(Server &server, wlr_xdg_toplevel *toplevel)
    : server_(server)
    , toplevel_(toplevel)
    ,
    // The scene keeps the node tree of the surface and its subsurfaces and
    // popups in step with the client's commits by itself.
    scene_tree_(wlr_scene_xdg_surface_create(server.view_layer, toplevel->base))
    ,
    // Alone in the view layer (its node was just added): the kiosk view.
    fills_output_(wl_list_length(&server.view_layer->children) == 1) {
    wlr_surface *surface = toplevel_->base->surface;
    commit_.connect(&surface->events.commit, [this] { handle_commit(); });
    map_.connect(&surface->events.map, [this] { handle_map(); });
    destroy_.connect(&toplevel_->events.destroy, [this] { handle_destroy(); });
    // The scene tells each buffer, every frame, whether it went to the
    // screen by direct scanout or through the renderer.
    if (wlr_scene_buffer *buffer = find_surface_buffer(scene_tree_, surface)) {
        output_sample_.connect(
            &buffer->events.output_sample,
            [this](wlr_scene_output_sample_event *event) { handle_output_sample(event); });
    }
}

void View::handle_commit() {
    // The client's first commit asks for a configure: answer with the size it
    // gets. The first view fills the first output; later ones choose (0, 0).
    if (!toplevel_->base->initial_commit) {
        return;
    }
    int width = 0;
    int height = 0;
    if (fills_output_) {
        wlr_box box;
        wlr_output_layout_get_box(server_.output_layout, nullptr, &box);
        width = box.width;
        height = box.height;
        wlr_xdg_toplevel_set_fullscreen(toplevel_, true);
    }
    wlr_xdg_toplevel_set_size(toplevel_, width, height);
}

void View::handle_map() {
    wlr_scene_node_raise_to_top(&scene_tree_->node);
    wlr_log(WLR_INFO, "view mapped: %s", toplevel_->title ? toplevel_->title : "(untitled)");
    server_.seat->focus(toplevel_->base->surface);
}

void View::handle_output_sample(wlr_scene_output_sample_event *event) {
    if (event->direct_scanout == (direct_scanout_ == 1)) {
        return;
    }
    direct_scanout_ = event->direct_scanout ? 1 : 0;
    wlr_log(WLR_INFO, "view %s on %s: %s", toplevel_->title ? toplevel_->title : "(untitled)",
            event->output->output->name, event->direct_scanout ? "direct scanout" : "composited");
}

void View::handle_destroy() {
    // The scene tree is destroyed by wlroots with the xdg surface.
    server_.remove_view(this);
}

} // namespace fencecam
