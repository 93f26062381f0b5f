#include "view.hpp"

#include "seat.hpp"
#include "server.hpp"

namespace fencecam {

// The scene keeps the nodes of the surface and its subsurfaces in step with
// the client's commits by itself. Popups find their parent's tree through
// the xdg surface's data (popup.cpp).
View::View(Server &server, wlr_xdg_toplevel *toplevel)
    : server_(server)
    , toplevel_(toplevel)
    , scene_tree_(wlr_scene_xdg_surface_create(server.view_layer, toplevel->base))
    , frames_(*server.stats, server.options().completion_stamps) {
    toplevel_->base->data = scene_tree_;
    wlr_surface *surface = toplevel_->base->surface;
    commit_.connect(&surface->events.commit, this, &View::handle_commit);
    map_.connect(&surface->events.map, this, &View::handle_map);
    unmap_.connect(&surface->events.unmap, this, &View::handle_unmap);
    request_fullscreen_.connect(&toplevel_->events.request_fullscreen, this,
                                &View::handle_request_state);
    request_maximize_.connect(&toplevel_->events.request_maximize, this,
                              &View::handle_request_state);
    destroy_.connect(&toplevel_->events.destroy, this, &View::handle_destroy);
}

void View::handle_commit() {
    // Clients add subsurfaces as they go (waylandsink shows video in one),
    // so the report and the frame records look for new buffers at every
    // commit.
    scanout_.watch_tree(scene_tree_);
    frames_.watch_tree(scene_tree_);
    // The client's first commit (again after an unmap) asks for a
    // configure: the size of the tile it will get once mapped. The other
    // windows make room when it maps, not for a window that may never show.
    if (toplevel_->base->initial_commit) {
        configured_.reset();
        bool alone = false;
        const wlr_box box = server_.tile_for_new_view(alone);
        place(box, alone);
    }
}

void View::place(const wlr_box &box, bool alone) {
    wlr_scene_node_set_position(&scene_tree_->node, box.x, box.y);
    const Configured wanted{box.width, box.height, alone};
    if (!toplevel_->base->initialized || configured_ == wanted) {
        return;
    }
    configured_ = wanted;
    wlr_log(WLR_INFO, "view %s: %dx%d %s", toplevel_->title ? toplevel_->title : "(untitled)",
            box.width, box.height, alone ? "fullscreen" : "tiled");
    // Fullscreen alone, tiled on all four edges otherwise: either way the
    // client must not draw shadows or pick its own size.
    wlr_xdg_toplevel_set_fullscreen(toplevel_, alone);
    wlr_xdg_toplevel_set_tiled(
        toplevel_, alone ? 0 : WLR_EDGE_TOP | WLR_EDGE_BOTTOM | WLR_EDGE_LEFT | WLR_EDGE_RIGHT);
    wlr_xdg_toplevel_set_size(toplevel_, box.width, box.height);
}

void View::handle_map() {
    mapped_ = true;
    const char *title = toplevel_->title ? toplevel_->title : "(untitled)";
    wlr_log(WLR_INFO, "view mapped: %s", title);
    scanout_.rename(std::string("view ") + title);
    server_.arrange_views();
    server_.seat->focus(toplevel_->base->surface);
}

void View::handle_unmap() {
    mapped_ = false;
    server_.arrange_views();
    server_.focus_last_view();
}

// A kiosk decides the window's state itself, but the protocol still wants a
// configure in reply: the client learns it stays as it is.
void View::handle_request_state() {
    if (toplevel_->base->initialized) {
        wlr_xdg_surface_schedule_configure(toplevel_->base);
    }
}

void View::handle_destroy() {
    // The scene tree is destroyed by wlroots with the xdg surface. Frees
    // this object: nothing may touch a member afterwards.
    server_.remove_view(this);
}

} // namespace fencecam
