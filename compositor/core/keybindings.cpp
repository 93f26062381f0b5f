#include "keybindings.hpp"

#include <array>

namespace fencecam {

namespace {

struct Binding {
    xkb_keysym_t keysym;
    Action action;
};

constexpr uint32_t ctrl_alt = modifier::ctrl | modifier::alt;

// Keysyms are matched case-insensitively below: with Ctrl+Alt held, some
// layouts report H, others h.
constexpr std::array bindings{
    Binding{XKB_KEY_BackSpace, Action::quit},
    Binding{XKB_KEY_h, Action::toggle_hud},
};

// Only these modifiers distinguish bindings; lock states never do.
constexpr uint32_t significant = modifier::shift | modifier::ctrl | modifier::alt | modifier::logo;

} // namespace

std::optional<KeyAction> find_binding(xkb_keysym_t keysym, uint32_t modifiers,
                                      const BindingOptions &options) {
    // xkeyboard-config maps Ctrl+Alt+Fn to the XF86Switch_VT_n keysyms: the
    // keymap decides which chord switches, as on the console and in X.
    if (keysym >= XKB_KEY_XF86Switch_VT_1 && keysym <= XKB_KEY_XF86Switch_VT_12) {
        return KeyAction{Action::switch_vt, keysym - XKB_KEY_XF86Switch_VT_1 + 1};
    }
    if ((modifiers & significant) != ctrl_alt) {
        return std::nullopt;
    }
    const xkb_keysym_t lower = xkb_keysym_to_lower(keysym);
    for (const Binding &binding : bindings) {
        if (binding.keysym != lower) {
            continue;
        }
        if (binding.action == Action::quit && !options.quit_key) {
            return std::nullopt;
        }
        return KeyAction{binding.action};
    }
    return std::nullopt;
}

} // namespace fencecam
