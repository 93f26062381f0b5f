#include "view.hpp"

#include "server.hpp"

namespace fencecam {

View::View(Server &server, wlr_xdg_toplevel *toplevel)
    : server_(server), toplevel_(toplevel),
      // The scene keeps the node tree of the surface and its subsurfaces and
      // popups in step with the client's commits by itself.
      scene_tree_(wlr_scene_xdg_surface_create(server.view_layer, toplevel->base)),
      // Alone in the view layer (its node was just added): the kiosk view.
      fills_output_(wl_list_length(&server.view_layer->children) == 1) {
    wlr_surface *surface = toplevel_->base->surface;
    commit_.connect(&surface->events.commit, [this] { handle_commit(); });
    map_.connect(&surface->events.map, [this] { handle_map(); });
    destroy_.connect(&toplevel_->events.destroy, [this] { handle_destroy(); });
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
}

void View::handle_destroy() {
    // The scene tree is destroyed by wlroots with the xdg surface.
    server_.remove_view(this);
}

} // namespace fencecam
