#include "server.hpp"

#include <csignal>
#include <cstdio>

#include "camera_frame_records.hpp"
#include "camera_source.hpp"
#include "frame_stats.hpp"
#include "hud.hpp"
#include "output.hpp"
#include "popup.hpp"
#include "protocols.hpp"
#include "seat.hpp"
#include "tiling.hpp"
#include "view.hpp"

namespace fencecam {

Server::Server(const Options &options)
    : options_(options) {}

std::unique_ptr<Server> Server::create(const Options &options, std::string &error) {
    std::unique_ptr<Server> server(new Server(options));
    if (!server->start(error)) {
        return nullptr;
    }
    return server;
}

bool Server::start(std::string &error) {
    stats = FrameStats::create(options_.stats, error);
    if (!stats) {
        return false;
    }
    display = wl_display_create();
    loop = wl_display_get_event_loop(display);

    // wlroots picks the backend from the environment: DRM/KMS and libinput
    // through a libseat session on a VT, a window inside a running Wayland or
    // X11 desktop, or whatever WLR_BACKENDS names (headless for tests).
    backend = wlr_backend_autocreate(loop, &session);
    if (!backend) {
        error = "no backend could start: from a VT this needs a seat (seatd or logind) and a DRM "
                "device; in a desktop, WAYLAND_DISPLAY or DISPLAY; or set WLR_BACKENDS=headless";
        return false;
    }

    // GLES2 where a GPU (or llvmpipe) is usable, pixman otherwise; WLR_RENDERER
    // overrides.
    renderer = wlr_renderer_autocreate(backend);
    if (!renderer) {
        error = "no renderer could start: try WLR_RENDERER=pixman";
        return false;
    }
    render_completion = RenderCompletion::create(renderer);
    allocator = wlr_allocator_autocreate(backend, renderer);
    if (!allocator) {
        error = "no buffer allocator for this backend and renderer: try WLR_RENDERER=pixman";
        return false;
    }

    output_layout = wlr_output_layout_create(display);
    scene = wlr_scene_create();
    scene_layout = wlr_scene_attach_output_layout(scene, output_layout);

    // The background is what shows where nothing else does: dark grey-blue,
    // far from any camera test pattern, so tests can tell it apart.
    const float background_color[4] = {0.10f, 0.10f, 0.14f, 1.0f};
    background = wlr_scene_rect_create(&scene->tree, 16384, 16384, background_color);
    camera_layer = wlr_scene_tree_create(&scene->tree);
    view_layer = wlr_scene_tree_create(&scene->tree);
    hud_layer = wlr_scene_tree_create(&scene->tree);

    create_protocols(*this);
    xdg_shell = wlr_xdg_shell_create(display, 6);
    seat = std::make_unique<Seat>(*this);

    new_output_.connect(&backend->events.new_output, this, &Server::handle_new_output);
    new_toplevel_.connect(&xdg_shell->events.new_toplevel, this, &Server::handle_new_toplevel);
    new_popup_.connect(&xdg_shell->events.new_popup, this, &Server::handle_new_popup);
    // An output's mode changes after the fact: nested, the host resizes our
    // window; a VT, the user picks another mode. Windows follow its size.
    layout_change_.connect(&output_layout->events.change, this, &Server::handle_layout_change);

    const char *socket = options_.socket.empty()
                             ? wl_display_add_socket_auto(display)
                             : (wl_display_add_socket(display, options_.socket.c_str()) == 0
                                    ? options_.socket.c_str()
                                    : nullptr);
    if (!socket) {
        error = options_.socket.empty()
                    ? "cannot create a Wayland socket: is XDG_RUNTIME_DIR set and writable?"
                    : "cannot create Wayland socket '" + options_.socket +
                          "': is it in use, and is XDG_RUNTIME_DIR set and writable?";
        return false;
    }
    socket_ = socket;

    if (!wlr_backend_start(backend)) {
        error = "the backend failed to start (see the wlroots messages above)";
        return false;
    }

    // The camera starts once the backend has announced its outputs, so the
    // frame size can match the output's for direct scanout.
    if (options_.camera.enabled) {
        CameraHost host{loop, renderer,
                        [this] { return first_output() ? first_output()->wlr() : nullptr; },
                        [this] { schedule_commits(); }};
        camera_frames = std::make_unique<CameraFrameRecords>(*stats, options_.completion_stamps);
        camera = std::make_unique<CameraSource>(std::move(host), camera_layer, options_.camera,
                                                *camera_frames);
        camera->start();
    }

    // The HUD hears of every finished frame, and draws only while shown.
    hud = std::make_unique<Hud>(loop, renderer, allocator, hud_layer,
                                [this] { return hud_status(); });
    stats->set_record_handler([this](const FrameRecord &frame) { hud->add(frame); });
    hud->set_visible(options_.hud);

    // SIGINT and SIGTERM end wl_display_run, so ~Server tears everything
    // down in order instead of the process dying mid-frame.
    sigint_ = EventSource::signal(loop, SIGINT, [this] { terminate(); });
    sigterm_ = EventSource::signal(loop, SIGTERM, [this] { terminate(); });
    // A session that runs for weeks is asked how it is doing, and has its
    // --stats file rotated, without being stopped.
    sigusr1_ = EventSource::signal(loop, SIGUSR1, [this] { print_summaries(); });
    sighup_ = EventSource::signal(loop, SIGHUP, [this] {
        std::string error;
        if (options_.stats.empty()) {
            wlr_log(WLR_INFO, "SIGHUP: no --stats file to reopen");
        } else if (stats->reopen(error)) {
            std::fprintf(stderr, "fencecam: SIGHUP: reopened %s\n", options_.stats.c_str());
        } else {
            std::fprintf(stderr, "fencecam: %s\n", error.c_str());
        }
    });
    return true;
}

void Server::run() {
    wl_display_run(display);
}

void Server::handle_action(const KeyAction &action) {
    switch (action.action) {
    case Action::quit:
        wlr_log(WLR_INFO, "quit key pressed");
        terminate();
        break;
    case Action::toggle_hud:
        hud->toggle();
        break;
    case Action::switch_vt:
        // Only a session on a VT (DRM backend through libseat) has VTs;
        // nested or headless, the chord does nothing. The session pauses
        // our outputs and input until we are switched back to.
        if (!session) {
            wlr_log(WLR_INFO, "no VT to switch to: not a session on a VT");
        } else if (!wlr_session_change_vt(session, action.vt)) {
            wlr_log(WLR_ERROR, "cannot switch to VT %u", action.vt);
        }
        break;
    }
}

void Server::handle_new_toplevel(wlr_xdg_toplevel *toplevel) {
    views_.push_back(std::make_unique<View>(*this, toplevel));
}

void Server::handle_new_popup(wlr_xdg_popup *popup) {
    Popup::create(*this, popup);
}

void Server::handle_layout_change() {
    arrange_views();
}

// The HUD's first line: the camera's sync mode and trouble, the output's rate.
HudStatus Server::hud_status() const {
    HudStatus status;
    if (camera) {
        std::optional<SyncMode> mode = camera->sync_mode();
        status.source = mode ? std::string(to_string(*mode)) : "NO SIGNAL";
        FrameLatcher::Counters counters = camera->counters();
        status.stalls = counters.stalls;
        status.errors = counters.errors;
    }
    if (Output *output = first_output(); output && output->wlr()->refresh > 0) {
        status.refresh_ns = 1'000'000'000'000 / output->wlr()->refresh;
    }
    return status;
}

void Server::print_summaries() const {
    if (camera) {
        std::fprintf(stderr, "fencecam: %s\n", camera->summary().c_str());
    }
    std::fprintf(stderr, "fencecam: %s\n", stats->summary().c_str());
}

void Server::schedule_commits() {
    for (const auto &output : outputs_) {
        output->schedule_commit();
    }
}

void Server::handle_new_output(wlr_output *wlr_output) {
    Output *output = outputs_.emplace_back(std::make_unique<Output>(*this, wlr_output)).get();
    // Nested, a buffer scanned out directly is lent to the host compositor,
    // which keeps it until its own next frame: a client then hears "frame
    // done" while both of its buffers are still busy (weston-simple-shm
    // aborts: "Both buffers busy at redraw()"). So a window in a desktop is
    // always composited; it is for development, where one copy costs nothing.
    if (wlr_output_is_wl(wlr_output) || wlr_output_is_x11(wlr_output)) {
        wlr_output_lock_attach_render(wlr_output, true);
    }
    // The camera is sized for the first output: when that one changes mode,
    // or appears only now, it restarts at the new size.
    output->set_mode_handler([this, output] {
        if (camera && output == first_output()) {
            camera->output_changed();
        }
    });
    if (camera && output == first_output()) {
        camera->output_changed();
    }
}

void Server::remove_output(Output *output) {
    outputs_.remove_if([output](const auto &owned) { return owned.get() == output; });
}

void Server::remove_view(View *view) {
    views_.remove_if([view](const auto &owned) { return owned.get() == view; });
    arrange_views();
}

namespace {

// The first output's box: a kiosk shows its windows there. Empty (and
// windows choose their own size) until an output appears.
std::vector<wlr_box> tile_boxes(const Server &server, size_t count) {
    wlr_box area{};
    if (Output *output = server.first_output()) {
        wlr_output_layout_get_box(server.output_layout, output->wlr(), &area);
    }
    std::vector<wlr_box> boxes;
    for (const Tile &t : tile({area.x, area.y, area.width, area.height}, count)) {
        boxes.push_back({t.x, t.y, t.width, t.height});
    }
    return boxes;
}

} // namespace

void Server::arrange_views() {
    std::vector<View *> mapped;
    for (const auto &view : views_) {
        if (view->mapped()) {
            mapped.push_back(view.get());
        }
    }
    const auto boxes = tile_boxes(*this, mapped.size());
    for (size_t i = 0; i < mapped.size(); ++i) {
        mapped[i]->place(boxes[i], mapped.size() == 1);
    }
}

wlr_box Server::tile_for_new_view(bool &alone) const {
    size_t mapped = 0;
    for (const auto &view : views_) {
        mapped += view->mapped();
    }
    alone = mapped == 0;
    return tile_boxes(*this, mapped + 1).back();
}

void Server::focus_last_view() {
    for (auto it = views_.rbegin(); it != views_.rend(); ++it) {
        if ((*it)->mapped()) {
            seat->focus((*it)->surface());
            return;
        }
    }
}

// Clients first (their surfaces reference the scene), then the scene, then
// the backend (which destroys the outputs, whose handlers free our Output
// objects), then what the backend used.
Server::~Server() {
    sigint_.reset();
    sigterm_.reset();
    if (display) {
        wl_display_destroy_clients(display);
    }
    if (camera) {
        std::fprintf(stderr, "fencecam: %s\n", camera->summary().c_str());
    }
    camera.reset();
    camera_frames.reset();
    sigusr1_.reset();
    sighup_.reset();
    new_toplevel_.disconnect();
    new_popup_.disconnect();
    layout_change_.disconnect();
    views_.clear();
    // Every frame is recorded once its source is gone: the camera's and
    // the clients' alike.
    if (options_.camera.enabled || stats->frames() > 0) {
        std::fprintf(stderr, "fencecam: %s\n", stats->summary().c_str());
    }
    // After the camera, whose last frames it still hears of; before the
    // scene, which holds its buffer, and the renderer it draws with.
    hud.reset();
    if (scene) {
        wlr_scene_node_destroy(&scene->tree.node);
    }
    new_output_.disconnect();
    // Before the backend: the seat listens to its input devices.
    seat.reset();
    if (backend) {
        wlr_backend_destroy(backend);
    }
    outputs_.clear();
    if (allocator) {
        wlr_allocator_destroy(allocator);
    }
    render_completion.reset();
    if (renderer) {
        wlr_renderer_destroy(renderer);
    }
    if (display) {
        wl_display_destroy(display);
    }
}

} // namespace fencecam
