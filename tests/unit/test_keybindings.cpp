#include <gtest/gtest.h>

#include "keybindings.hpp"

using fencecam::Action;
using fencecam::find_binding;
namespace modifier = fencecam::modifier;

namespace {
constexpr uint32_t caps_lock = 1 << 1;
constexpr uint32_t num_lock = 1 << 4;
constexpr uint32_t ctrl_alt = modifier::ctrl | modifier::alt;

std::optional<Action> action(xkb_keysym_t keysym, uint32_t modifiers,
                             fencecam::BindingOptions options = {}) {
    auto found = find_binding(keysym, modifiers, options);
    return found ? std::optional(found->action) : std::nullopt;
}
} // namespace

TEST(Keybindings, CtrlAltBackSpaceQuits) {
    EXPECT_EQ(action(XKB_KEY_BackSpace, ctrl_alt), Action::quit);
}

TEST(Keybindings, NoQuitKeyLeavesItToTheClient) {
    EXPECT_FALSE(action(XKB_KEY_BackSpace, ctrl_alt, {.quit_key = false}));
    // The other bindings stay.
    EXPECT_EQ(action(XKB_KEY_h, ctrl_alt, {.quit_key = false}), Action::toggle_hud);
}

TEST(Keybindings, CtrlAltHTogglesTheHud) {
    EXPECT_EQ(action(XKB_KEY_h, ctrl_alt), Action::toggle_hud);
    EXPECT_EQ(action(XKB_KEY_H, ctrl_alt), Action::toggle_hud);
}

TEST(Keybindings, LockStatesDoNotMatter) {
    EXPECT_EQ(action(XKB_KEY_BackSpace, ctrl_alt | caps_lock | num_lock), Action::quit);
    EXPECT_EQ(action(XKB_KEY_H, ctrl_alt | caps_lock), Action::toggle_hud);
}

TEST(Keybindings, BareKeysGoToClients) {
    // Escape in a dialog and h in a text field are the application's.
    EXPECT_FALSE(action(XKB_KEY_Escape, 0));
    EXPECT_FALSE(action(XKB_KEY_h, 0));
    EXPECT_FALSE(action(XKB_KEY_BackSpace, 0));
    EXPECT_FALSE(action(XKB_KEY_a, ctrl_alt));
}

TEST(Keybindings, OtherChordsGoToClients) {
    EXPECT_FALSE(action(XKB_KEY_BackSpace, modifier::ctrl));
    EXPECT_FALSE(action(XKB_KEY_h, modifier::alt));
    // Extra modifiers make it a different chord, which belongs to the client.
    EXPECT_FALSE(action(XKB_KEY_BackSpace, ctrl_alt | modifier::shift));
    EXPECT_FALSE(action(XKB_KEY_h, ctrl_alt | modifier::logo));
}

TEST(Keybindings, VtSwitchKeysymsNameTheirVt) {
    auto first = find_binding(XKB_KEY_XF86Switch_VT_1, ctrl_alt);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->action, Action::switch_vt);
    EXPECT_EQ(first->vt, 1u);
    auto last = find_binding(XKB_KEY_XF86Switch_VT_12, ctrl_alt);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->vt, 12u);
    // F1 itself (no Ctrl+Alt, so the keymap left it F1) is the client's.
    EXPECT_FALSE(find_binding(XKB_KEY_F1, 0));
}
