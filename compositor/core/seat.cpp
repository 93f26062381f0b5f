#include "seat.hpp"

#include <set>

#include "keybindings.hpp"
#include "server.hpp"

namespace fencecam {

// One physical keyboard. Each gets the default keymap (XKB_DEFAULT_* from
// the environment, else us) and forwards to the seat, which sends the keys
// to whichever surface has keyboard focus.
class Seat::Keyboard {
  public:
    Keyboard(Seat &seat, wlr_keyboard *keyboard)
        : seat_(seat)
        , keyboard_(keyboard) {
        xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
        xkb_keymap *keymap =
            xkb_keymap_new_from_names(context, nullptr, XKB_KEYMAP_COMPILE_NO_FLAGS);
        wlr_keyboard_set_keymap(keyboard_, keymap);
        xkb_keymap_unref(keymap);
        xkb_context_unref(context);
        wlr_keyboard_set_repeat_info(keyboard_, 25, 600);

        modifiers_.connect(&keyboard_->events.modifiers, this, &Keyboard::handle_modifiers);
        key_.connect(&keyboard_->events.key, this, &Keyboard::handle_key);
        destroy_.connect(&keyboard_->base.events.destroy, this, &Keyboard::handle_destroy);
        wlr_seat_set_keyboard(seat_.seat_, keyboard_);
    }

  private:
    // A seat has one active keyboard; the one that last changed wins.
    void handle_modifiers() {
        wlr_seat_set_keyboard(seat_.seat_, keyboard_);
        wlr_seat_keyboard_notify_modifiers(seat_.seat_, &keyboard_->modifiers);
    }

    void handle_destroy() { seat_.remove_keyboard(this); }

    void handle_key(wlr_keyboard_key_event *event) {
        // A key that ran a binding is ours until it is released: its client
        // never saw it pressed, so it must not see it released either.
        if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED && run_binding(event->keycode)) {
            bound_keys_.insert(event->keycode);
            return;
        }
        if (event->state == WL_KEYBOARD_KEY_STATE_RELEASED && bound_keys_.erase(event->keycode)) {
            return;
        }
        wlr_seat_set_keyboard(seat_.seat_, keyboard_);
        wlr_seat_keyboard_notify_key(seat_.seat_, event->time_msec, event->keycode, event->state);
    }

    // Bindings match the keysyms of the current layout and modifiers, so
    // they follow the keymap the user has. libinput keycodes are evdev
    // codes; xkb's are offset by 8.
    bool run_binding(uint32_t keycode) {
        const xkb_keysym_t *keysyms;
        int count = xkb_state_key_get_syms(keyboard_->xkb_state, keycode + 8, &keysyms);
        uint32_t modifiers = wlr_keyboard_get_modifiers(keyboard_);
        const BindingOptions options{.quit_key = seat_.server_.options().quit_key};
        for (int i = 0; i < count; ++i) {
            if (auto action = find_binding(keysyms[i], modifiers, options)) {
                seat_.server_.handle_action(*action);
                return true;
            }
        }
        return false;
    }

    Seat &seat_;
    wlr_keyboard *keyboard_;
    std::set<uint32_t> bound_keys_; // held down since they ran a binding
    Listener<> modifiers_;
    Listener<wlr_keyboard_key_event> key_;
    Listener<> destroy_;
};

// wlr_cursor tracks the pointer across the output layout and draws the image;
// the xcursor theme supplies the image when no client sets one.
Seat::Seat(Server &server)
    : server_(server)
    , seat_(wlr_seat_create(server.display, "seat0"))
    , cursor_(wlr_cursor_create())
    , cursor_theme_(wlr_xcursor_manager_create(nullptr, 24)) {
    wlr_cursor_attach_output_layout(cursor_.get(), server.output_layout);

    new_input_.connect(&server.backend->events.new_input, this, &Seat::handle_new_input);
    cursor_motion_.connect(&cursor_->events.motion, this, &Seat::handle_cursor_motion);
    cursor_motion_absolute_.connect(&cursor_->events.motion_absolute, this,
                                    &Seat::handle_cursor_motion_absolute);
    cursor_button_.connect(&cursor_->events.button, this, &Seat::handle_cursor_button);
    cursor_axis_.connect(&cursor_->events.axis, this, &Seat::handle_cursor_axis);
    cursor_frame_.connect(&cursor_->events.frame, this, &Seat::handle_cursor_frame);
    // Touch goes through the cursor too, which maps each touchscreen to
    // its output; no cursor image moves for it.
    touch_down_.connect(&cursor_->events.touch_down, this, &Seat::handle_touch_down);
    touch_motion_.connect(&cursor_->events.touch_motion, this, &Seat::handle_touch_motion);
    touch_up_.connect(&cursor_->events.touch_up, this, &Seat::handle_touch_up);
    touch_cancel_.connect(&cursor_->events.touch_cancel, this, &Seat::handle_touch_cancel);
    touch_frame_.connect(&cursor_->events.touch_frame, this, &Seat::handle_touch_frame);
    request_set_cursor_.connect(&seat_->events.request_set_cursor, this,
                                &Seat::handle_request_set_cursor);
    request_set_selection_.connect(&seat_->events.request_set_selection, this,
                                   &Seat::handle_request_set_selection);
    update_capabilities();
}

Seat::~Seat() = default;

void Seat::focus(wlr_surface *surface) {
    if (wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat_)) {
        wlr_seat_keyboard_notify_enter(seat_, surface, keyboard->keycodes, keyboard->num_keycodes,
                                       &keyboard->modifiers);
    } else {
        wlr_seat_keyboard_notify_enter(seat_, surface, nullptr, 0, nullptr);
    }
}

void Seat::handle_cursor_axis(wlr_pointer_axis_event *event) {
    wlr_seat_pointer_notify_axis(seat_, event->time_msec, event->orientation, event->delta,
                                 event->delta_discrete, event->source, event->relative_direction);
}

// Pointer events come in frames (e.g. two axes at once); forward the
// grouping so clients apply them together.
void Seat::handle_cursor_frame() {
    wlr_seat_pointer_notify_frame(seat_);
}

void Seat::handle_touch_frame() {
    wlr_seat_touch_notify_frame(seat_);
}

void Seat::handle_new_input(wlr_input_device *device) {
    switch (device->type) {
    case WLR_INPUT_DEVICE_KEYBOARD:
        keyboards_.push_back(
            std::make_unique<Keyboard>(*this, wlr_keyboard_from_input_device(device)));
        break;
    case WLR_INPUT_DEVICE_POINTER:
        // All pointer handling goes through the cursor; libinput settings
        // (acceleration, tapping) would be applied here.
        wlr_cursor_attach_input_device(cursor_.get(), device);
        break;
    case WLR_INPUT_DEVICE_TOUCH: {
        wlr_cursor_attach_input_device(cursor_.get(), device);
        Listener<> &destroy = touchscreens_.emplace_back();
        destroy.connect(&device->events.destroy, this, &Seat::handle_touchscreen_destroy, destroy);
        break;
    }
    default:
        break;
    }
    wlr_log(WLR_INFO, "input device: %s", device->name ? device->name : "(unnamed)");
    update_capabilities();
}

// There is always a cursor (it may be moved by a test or a tablet later),
// so the seat always has a pointer; keyboard and touch only while such a
// device is plugged in.
void Seat::update_capabilities() {
    uint32_t caps = WL_SEAT_CAPABILITY_POINTER;
    if (!keyboards_.empty()) {
        caps |= WL_SEAT_CAPABILITY_KEYBOARD;
    }
    if (!touchscreens_.empty()) {
        caps |= WL_SEAT_CAPABILITY_TOUCH;
    }
    wlr_seat_set_capabilities(seat_, caps);
}

void Seat::remove_keyboard(Keyboard *keyboard) {
    keyboards_.remove_if([keyboard](const auto &owned) { return owned.get() == keyboard; });
    update_capabilities();
}

void Seat::handle_touchscreen_destroy(Listener<> &destroy) {
    touchscreens_.remove_if([&destroy](const Listener<> &owned) { return &owned == &destroy; });
    update_capabilities();
}

void Seat::handle_cursor_motion(wlr_pointer_motion_event *event) {
    wlr_cursor_move(cursor_.get(), &event->pointer->base, event->delta_x, event->delta_y);
    update_pointer_focus(event->time_msec);
}

// Absolute motion comes from nested backends (the host's pointer entering
// our window anywhere) and from tablets.
void Seat::handle_cursor_motion_absolute(wlr_pointer_motion_absolute_event *event) {
    wlr_cursor_warp_absolute(cursor_.get(), &event->pointer->base, event->x, event->y);
    update_pointer_focus(event->time_msec);
}

void Seat::handle_cursor_button(wlr_pointer_button_event *event) {
    wlr_seat_pointer_notify_button(seat_, event->time_msec, event->button, event->state);
    if (event->state == WL_POINTER_BUTTON_STATE_PRESSED) {
        double sx, sy;
        if (wlr_surface *surface = surface_at(cursor_->x, cursor_->y, sx, sy)) {
            focus(surface);
        }
    }
}

// The pointer belongs to the surface under it; wlroots drops duplicate
// enter and motion events itself.
void Seat::update_pointer_focus(uint32_t time_msec) {
    double sx, sy;
    if (wlr_surface *surface = surface_at(cursor_->x, cursor_->y, sx, sy)) {
        wlr_seat_pointer_notify_enter(seat_, surface, sx, sy);
        wlr_seat_pointer_notify_motion(seat_, time_msec, sx, sy);
    } else {
        wlr_cursor_set_xcursor(cursor_.get(), cursor_theme_.get(), "default");
        wlr_seat_pointer_clear_focus(seat_);
    }
}

// A finger works like a click: the surface under it gets the touch point,
// and keyboard focus.
void Seat::handle_touch_down(wlr_touch_down_event *event) {
    double lx, ly, sx, sy;
    wlr_cursor_absolute_to_layout_coords(cursor_.get(), &event->touch->base, event->x, event->y,
                                         &lx, &ly);
    wlr_surface *surface = surface_at(lx, ly, sx, sy);
    if (!surface) {
        return;
    }
    focus(surface);
    touch_origins_[event->touch_id] = {lx - sx, ly - sy};
    wlr_seat_touch_notify_down(seat_, surface, event->time_msec, event->touch_id, sx, sy);
}

void Seat::handle_touch_motion(wlr_touch_motion_event *event) {
    auto origin = touch_origins_.find(event->touch_id);
    if (origin == touch_origins_.end()) {
        return; // went down where no surface was
    }
    double lx, ly;
    wlr_cursor_absolute_to_layout_coords(cursor_.get(), &event->touch->base, event->x, event->y,
                                         &lx, &ly);
    wlr_seat_touch_notify_motion(seat_, event->time_msec, event->touch_id,
                                 lx - origin->second.first, ly - origin->second.second);
}

void Seat::handle_touch_up(wlr_touch_up_event *event) {
    if (touch_origins_.erase(event->touch_id)) {
        wlr_seat_touch_notify_up(seat_, event->time_msec, event->touch_id);
    }
}

void Seat::handle_touch_cancel(wlr_touch_cancel_event *event) {
    if (wlr_touch_point *point = wlr_seat_touch_get_point(seat_, event->touch_id)) {
        wlr_seat_touch_notify_cancel(seat_, point->client);
    }
    touch_origins_.erase(event->touch_id);
}

wlr_surface *Seat::surface_at(double lx, double ly, double &sx, double &sy) const {
    wlr_scene_node *node = wlr_scene_node_at(&server_.view_layer->node, lx, ly, &sx, &sy);
    if (!node || node->type != WLR_SCENE_NODE_BUFFER) {
        return nullptr;
    }
    wlr_scene_surface *scene_surface =
        wlr_scene_surface_try_from_buffer(wlr_scene_buffer_from_node(node));
    return scene_surface ? scene_surface->surface : nullptr;
}

// Any client may ask; only the one with pointer focus gets its way.
void Seat::handle_request_set_cursor(wlr_seat_pointer_request_set_cursor_event *event) {
    if (event->seat_client == seat_->pointer_state.focused_client) {
        wlr_cursor_set_surface(cursor_.get(), event->surface, event->hotspot_x, event->hotspot_y);
    }
}

void Seat::handle_request_set_selection(wlr_seat_request_set_selection_event *event) {
    wlr_seat_set_selection(seat_, event->source, event->serial);
}

} // namespace fencecam
