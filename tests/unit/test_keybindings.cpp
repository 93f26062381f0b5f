#include <gtest/gtest.h>

#include "keybindings.hpp"

using fencecam::Action;
using fencecam::find_binding;
namespace modifier = fencecam::modifier;

namespace {
constexpr uint32_t caps_lock = 1 << 1;
constexpr uint32_t num_lock = 1 << 4;
} // namespace

TEST(Keybindings, EscapeQuits) {
    EXPECT_EQ(find_binding(XKB_KEY_Escape, 0), Action::quit);
}

TEST(Keybindings, CtrlAltBackSpaceQuits) {
    EXPECT_EQ(find_binding(XKB_KEY_BackSpace, modifier::ctrl | modifier::alt), Action::quit);
}

TEST(Keybindings, LockStatesDoNotMatter) {
    EXPECT_EQ(find_binding(XKB_KEY_Escape, caps_lock | num_lock), Action::quit);
}

TEST(Keybindings, OtherKeysGoToClients) {
    EXPECT_FALSE(find_binding(XKB_KEY_a, 0));
    EXPECT_FALSE(find_binding(XKB_KEY_BackSpace, 0));
    EXPECT_FALSE(find_binding(XKB_KEY_BackSpace, modifier::ctrl));
    // Extra modifiers make it a different chord, which belongs to the client.
    EXPECT_FALSE(find_binding(XKB_KEY_Escape, modifier::shift));
}

TEST(Keybindings, HTogglesTheHud) {
    EXPECT_EQ(find_binding(XKB_KEY_h, 0), Action::toggle_hud);
    EXPECT_EQ(find_binding(XKB_KEY_h, caps_lock), Action::toggle_hud);
    EXPECT_FALSE(find_binding(XKB_KEY_h, modifier::ctrl));
    EXPECT_FALSE(find_binding(XKB_KEY_H, modifier::shift));
}
