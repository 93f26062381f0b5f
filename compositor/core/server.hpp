// The compositor's spine: the Wayland display, the wlroots backend, renderer
// and allocator, the scene graph every surface and camera frame is placed in,
// and the lists of outputs and views.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "event_source.hpp"
#include "hud_layout.hpp"
#include "keybindings.hpp"
#include "listener.hpp"
#include "options.hpp"
#include "render_completion.hpp"
#include "wlr_desktop.hpp"

namespace fencecam {

class CameraFrameRecords;
class CameraSource;
class FrameStats;
class Hud;
class Output;
class Seat;
class View;

class Server {
  public:
    // Returns nullptr and sets `error` to one actionable line on failure.
    static std::unique_ptr<Server> create(const Options &options, std::string &error);
    ~Server();
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    // Runs until SIGINT, SIGTERM or terminate(). SIGUSR1 prints the
    // summaries so far; SIGHUP reopens the --stats file.
    void run();
    void terminate() { wl_display_terminate(display); }

    const std::string &socket_name() const { return socket_; }

    // The pieces outputs, views and protocols need. Owned here; destroyed
    // in ~Server in the order wlroots requires.
    wl_display *display = nullptr;
    wl_event_loop *loop = nullptr;
    wlr_backend *backend = nullptr;
    wlr_session *session = nullptr;
    wlr_renderer *renderer = nullptr;
    wlr_allocator *allocator = nullptr;
    // Only with a software GLES2 renderer (render_completion.hpp).
    std::unique_ptr<RenderCompletion> render_completion;
    wlr_scene *scene = nullptr;
    wlr_output_layout *output_layout = nullptr;
    wlr_scene_output_layout *scene_layout = nullptr;
    wlr_xdg_shell *xdg_shell = nullptr;
    std::unique_ptr<Seat> seat;

    // Scene layers, bottom to top: the background, the built-in camera,
    // client views, then the HUD.
    wlr_scene_rect *background = nullptr;
    wlr_scene_tree *camera_layer = nullptr;
    wlr_scene_tree *view_layer = nullptr;
    wlr_scene_tree *hud_layer = nullptr;
    std::unique_ptr<FrameStats> stats;
    std::unique_ptr<CameraFrameRecords> camera_frames;
    std::unique_ptr<CameraSource> camera;
    std::unique_ptr<Hud> hud;

    const Options &options() const { return options_; }
    Output *first_output() const { return outputs_.empty() ? nullptr : outputs_.front().get(); }
    // Something new is in the scene: each output commits it when best.
    void schedule_commits();
    void remove_output(Output *output);
    void remove_view(View *view);
    // Places every mapped window: alone, fullscreen on the first output;
    // several, tiled across it. After every map, unmap and destroy, and
    // whenever the output's size changes.
    void arrange_views();
    // The tile a window about to map will get (the last one, with the
    // mapped windows before it); `alone` when it will be the only one.
    wlr_box tile_for_new_view(bool &alone) const;
    // Keyboard focus to the topmost mapped window left, if any.
    void focus_last_view();

    // What a compositor key binding asks for (see keybindings.hpp).
    void handle_action(const KeyAction &action);

  private:
    explicit Server(const Options &options);
    bool start(std::string &error);
    void handle_new_output(wlr_output *output);
    void handle_new_toplevel(wlr_xdg_toplevel *toplevel);
    void handle_new_popup(wlr_xdg_popup *popup);
    void handle_layout_change();
    HudStatus hud_status() const;
    void print_summaries() const;

    Options options_;
    std::string socket_;
    std::list<std::unique_ptr<Output>> outputs_;
    std::list<std::unique_ptr<View>> views_;
    Listener<wlr_output> new_output_;
    Listener<wlr_xdg_toplevel> new_toplevel_;
    Listener<wlr_xdg_popup> new_popup_;
    Listener<> layout_change_;
    EventSource sigint_;
    EventSource sigterm_;
    EventSource sigusr1_;
    EventSource sighup_;
};

} // namespace fencecam
