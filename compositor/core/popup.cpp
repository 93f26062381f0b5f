#include "popup.hpp"

#include "server.hpp"

namespace fencecam {

namespace {

// The toplevel a popup (or a popup's popup) belongs to.
wlr_xdg_surface *root_of(wlr_xdg_popup *popup) {
    wlr_xdg_surface *root = popup->base;
    while (root->role == WLR_XDG_SURFACE_ROLE_POPUP && root->popup->parent) {
        wlr_xdg_surface *parent = wlr_xdg_surface_try_from_wlr_surface(root->popup->parent);
        if (!parent) {
            break;
        }
        root = parent;
    }
    return root;
}

} // namespace

void Popup::create(Server &server, wlr_xdg_popup *popup) {
    // The parent is a toplevel or another popup; both keep their scene tree
    // in the xdg surface's data. Anything else (no parent yet, another
    // shell) has nowhere to show it.
    wlr_xdg_surface *parent =
        popup->parent ? wlr_xdg_surface_try_from_wlr_surface(popup->parent) : nullptr;
    if (!parent || !parent->data) {
        wlr_log(WLR_ERROR, "xdg popup without an xdg parent: not shown");
        return;
    }
    new Popup(server, popup);
}

Popup::Popup(Server &server, wlr_xdg_popup *popup)
    : server_(server)
    , popup_(popup) {
    // The scene positions the popup's tree at its geometry, relative to the
    // parent's, and destroys it with the popup.
    auto *parent_tree =
        static_cast<wlr_scene_tree *>(wlr_xdg_surface_try_from_wlr_surface(popup->parent)->data);
    popup_->base->data = wlr_scene_xdg_surface_create(parent_tree, popup_->base);
    // Windows are tiled and never overlap, but a menu may reach into the
    // next tile: its window goes above the others.
    if (wlr_xdg_surface *root = root_of(popup_); root->data) {
        wlr_scene_node_raise_to_top(&static_cast<wlr_scene_tree *>(root->data)->node);
    }
    commit_.connect(&popup_->base->surface->events.commit, this, &Popup::handle_commit);
    reposition_.connect(&popup_->events.reposition, this, &Popup::handle_reposition);
    destroy_.connect(&popup_->events.destroy, this, &Popup::handle_destroy);
}

void Popup::handle_reposition() {
    unconstrain();
}

void Popup::handle_destroy() {
    delete this;
}

// The first commit asks for a configure, which carries the popup's place.
void Popup::handle_commit() {
    if (popup_->base->initial_commit) {
        unconstrain();
    }
}

// Slides or flips the popup (as its positioner allows) so that it stays on
// the output its toplevel is on. The box is in the toplevel's surface
// coordinates: the toplevel's tree sits at its window geometry, the surface
// that much up and left of it.
void Popup::unconstrain() {
    wlr_xdg_surface *root = root_of(popup_);
    int lx = 0;
    int ly = 0;
    if (root->data) {
        wlr_scene_node_coords(&static_cast<wlr_scene_tree *>(root->data)->node, &lx, &ly);
    }
    wlr_box output_box{};
    wlr_output *output = wlr_output_layout_output_at(server_.output_layout, lx, ly);
    wlr_output_layout_get_box(server_.output_layout, output, &output_box);
    const wlr_box &geometry = root->geometry;
    const wlr_box box{output_box.x - lx + geometry.x, output_box.y - ly + geometry.y,
                      output_box.width, output_box.height};
    wlr_xdg_popup_unconstrain_from_box(popup_, &box);
}

} // namespace fencecam
