#include "view.hpp"

#include "seat.hpp"
#include "server.hpp"

namespace fencecam {

// The scene keeps the nodes of the surface, its subsurfaces and popups in
// step with the client's commits by itself. A view alone in the view layer
// (its node was just added) is the kiosk view that fills the output.
View::View(Server &server, wlr_xdg_toplevel *toplevel)
    : server_(server)
    , toplevel_(toplevel)
    , scene_tree_(wlr_scene_xdg_surface_create(server.view_layer, toplevel->base))
    , fills_output_(wl_list_length(&server.view_layer->children) == 1)
    , frames_(*server.stats, server.options().completion_stamps) {
    wlr_surface *surface = toplevel_->base->surface;
    commit_.connect(&surface->events.commit, [this] { handle_commit(); });
    map_.connect(&surface->events.map, [this] { handle_map(); });
    destroy_.connect(&toplevel_->events.destroy, [this] { handle_destroy(); });
}

void View::handle_commit() {
    // Clients add subsurfaces as they go (waylandsink shows video in one),
    // so the report and the frame records look for new buffers at every
    // commit.
    scanout_.watch_tree(scene_tree_);
    frames_.watch_tree(scene_tree_);
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
    const char *title = toplevel_->title ? toplevel_->title : "(untitled)";
    wlr_log(WLR_INFO, "view mapped: %s", title);
    scanout_.rename(std::string("view ") + title);
    server_.seat->focus(toplevel_->base->surface);
}

void View::handle_destroy() {
    // The scene tree is destroyed by wlroots with the xdg surface.
    server_.remove_view(this);
}

} // namespace fencecam
