// std::unique_ptr for wlroots objects with a destroy function:
//   Owned<wlr_cursor, wlr_cursor_destroy> cursor{wlr_cursor_create()};
//
// Declare an Owned before the Listeners that listen to it: members are
// destroyed in reverse order, so the listeners unlink first, as wlroots
// asserts they must.
#pragma once

#include <memory>

namespace fencecam {

template <auto destroy> struct DestroyWith {
    template <class T> void operator()(T *object) const { destroy(object); }
};

template <class T, auto destroy> using Owned = std::unique_ptr<T, DestroyWith<destroy>>;

} // namespace fencecam
