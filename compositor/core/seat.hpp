// The seat: keyboards (through xkbcommon), pointers driving one cursor,
// touchscreens, and which client gets their events. Devices come from the backend: libinput on
// a VT, the host window when nested, none when headless.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <utility>

#include "listener.hpp"
#include "owned.hpp"
#include "wlr_desktop.hpp"

namespace fencecam {

class Server;

class Seat {
  public:
    explicit Seat(Server &server);
    ~Seat();
    Seat(const Seat &) = delete;
    Seat &operator=(const Seat &) = delete;

    wlr_seat *wlr() const { return seat_; }

    // Gives keyboard focus to a surface (a newly mapped view, a clicked one).
    void focus(wlr_surface *surface);

  private:
    class Keyboard;

    void handle_new_input(wlr_input_device *device);
    void handle_cursor_motion(wlr_pointer_motion_event *event);
    void handle_cursor_motion_absolute(wlr_pointer_motion_absolute_event *event);
    void handle_cursor_button(wlr_pointer_button_event *event);
    void handle_cursor_axis(wlr_pointer_axis_event *event);
    void handle_cursor_frame();
    void handle_request_set_cursor(wlr_seat_pointer_request_set_cursor_event *event);
    void handle_request_set_selection(wlr_seat_request_set_selection_event *event);
    void handle_touch_down(wlr_touch_down_event *event);
    void handle_touch_motion(wlr_touch_motion_event *event);
    void handle_touch_up(wlr_touch_up_event *event);
    void handle_touch_cancel(wlr_touch_cancel_event *event);
    void handle_touch_frame();
    void update_pointer_focus(uint32_t time_msec);
    wlr_surface *surface_at(double lx, double ly, double &sx, double &sy) const;
    void update_capabilities();
    void remove_keyboard(Keyboard *keyboard);
    void handle_touchscreen_destroy(Listener<> &destroy);

    Server &server_;
    wlr_seat *seat_; // destroyed with the display
    Owned<wlr_cursor, wlr_cursor_destroy> cursor_;
    Owned<wlr_xcursor_manager, wlr_xcursor_manager_destroy> cursor_theme_;
    std::list<std::unique_ptr<Keyboard>> keyboards_;
    // One destroy listener a touchscreen: while any is plugged in, the seat
    // offers wl_touch.
    std::list<Listener<>> touchscreens_;
    // Where, in layout coordinates, the surface each touch point went down
    // on sits: the point's later motion is relative to that surface, even
    // once the finger has left it.
    std::map<int32_t, std::pair<double, double>> touch_origins_;

    Listener<wlr_input_device> new_input_;
    Listener<wlr_pointer_motion_event> cursor_motion_;
    Listener<wlr_pointer_motion_absolute_event> cursor_motion_absolute_;
    Listener<wlr_pointer_button_event> cursor_button_;
    Listener<wlr_pointer_axis_event> cursor_axis_;
    Listener<> cursor_frame_;
    Listener<wlr_touch_down_event> touch_down_;
    Listener<wlr_touch_motion_event> touch_motion_;
    Listener<wlr_touch_up_event> touch_up_;
    Listener<wlr_touch_cancel_event> touch_cancel_;
    Listener<> touch_frame_;
    Listener<wlr_seat_pointer_request_set_cursor_event> request_set_cursor_;
    Listener<wlr_seat_request_set_selection_event> request_set_selection_;
};

} // namespace fencecam
