// The compositor's own keys, in one place. A key that matches a binding is
// consumed by the compositor; every other key goes to the focused client.
//
// To add a key (HUD, sync mode, camera switch): add an Action, a row in
// keybindings.cpp, and its case in Server::handle_action.
#pragma once

#include <cstdint>
#include <optional>

#include <xkbcommon/xkbcommon.h>

namespace fencecam {

enum class Action {
    quit,
    toggle_hud,
};

// Modifier bits as wlroots reports them (enum wlr_keyboard_modifier).
namespace modifier {
inline constexpr uint32_t shift = 1 << 0;
inline constexpr uint32_t ctrl = 1 << 2;
inline constexpr uint32_t alt = 1 << 3;
inline constexpr uint32_t logo = 1 << 6;
} // namespace modifier

// The action bound to a key press, if any. `modifiers` may carry lock bits
// (caps, num), which bindings ignore.
std::optional<Action> find_binding(xkb_keysym_t keysym, uint32_t modifiers);

} // namespace fencecam
