#include "keybindings.hpp"

#include <array>

namespace fencecam {

namespace {

struct Binding {
    xkb_keysym_t keysym;
    uint32_t modifiers;
    Action action;
};

// fencecam runs kiosk style, often as the only thing on a VT: Escape must
// get people out, and Ctrl+Alt+BackSpace is the traditional "kill the
// display server" chord.
constexpr std::array bindings{
    Binding{XKB_KEY_Escape, 0, Action::quit},
    Binding{XKB_KEY_BackSpace, modifier::ctrl | modifier::alt, Action::quit},
    Binding{XKB_KEY_h, 0, Action::toggle_hud},
};

// Only these modifiers distinguish bindings; lock states never do.
constexpr uint32_t significant = modifier::shift | modifier::ctrl | modifier::alt | modifier::logo;

} // namespace

std::optional<Action> find_binding(xkb_keysym_t keysym, uint32_t modifiers) {
    for (const Binding &binding : bindings) {
        if (binding.keysym == keysym && binding.modifiers == (modifiers & significant)) {
            return binding.action;
        }
    }
    return std::nullopt;
}

} // namespace fencecam
