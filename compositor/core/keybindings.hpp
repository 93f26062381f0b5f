// The compositor's own keys, in one place. A key that matches a binding is
// consumed by the compositor; every other key goes to the focused client.
//
// Every binding holds Ctrl+Alt: fencecam hosts applications in a kiosk, and
// a bare key (Escape, h) belongs to them. Ctrl+Alt+BackSpace is the
// traditional "end the display server" chord and Ctrl+Alt+F1..F12 the
// console's VT switch, so neither surprises anyone.
//
// To add a key (sync mode, camera switch): add an Action, a row in
// keybindings.cpp, and its case in Server::handle_action.
#pragma once

#include <cstdint>
#include <optional>

#include <xkbcommon/xkbcommon.h>

namespace fencecam {

enum class Action {
    quit,
    toggle_hud,
    switch_vt,
};

struct KeyAction {
    Action action;
    unsigned vt = 0; // Action::switch_vt: the VT to switch to, 1..12
};

// Modifier bits as wlroots reports them (enum wlr_keyboard_modifier).
namespace modifier {
inline constexpr uint32_t shift = 1 << 0;
inline constexpr uint32_t ctrl = 1 << 2;
inline constexpr uint32_t alt = 1 << 3;
inline constexpr uint32_t logo = 1 << 6;
} // namespace modifier

struct BindingOptions {
    bool quit_key = true; // --no-quit-key: Ctrl+Alt+BackSpace goes to the client
};

// The action bound to a key press, if any. `modifiers` may carry lock bits
// (caps, num), which bindings ignore.
std::optional<KeyAction> find_binding(xkb_keysym_t keysym, uint32_t modifiers,
                                      const BindingOptions &options = {});

} // namespace fencecam
