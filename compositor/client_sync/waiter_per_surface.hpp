// What the two sync waiters share: a waiter for every new surface, and how
// a client whose fence cannot be waited for, or missed the bound, is sent
// away.
#pragma once

#include <chrono>

#include "client_name.hpp"
#include "listener.hpp"
#include "wlr.hpp"

namespace fencecam {

// Gives every new surface of `compositor` a `new Waiter(surface, loop,
// timeout)`, which frees itself with its surface; frees itself with the
// compositor.
template <class Waiter> class WaiterPerSurface {
  public:
    WaiterPerSurface(wlr_compositor *compositor, wl_event_loop *loop,
                     std::chrono::milliseconds timeout)
        : loop_(loop)
        , timeout_(timeout) {
        new_surface_.connect(&compositor->events.new_surface, this,
                             &WaiterPerSurface::handle_new_surface);
        destroy_.connect(&compositor->events.destroy, this, &WaiterPerSurface::handle_destroy);
    }

  private:
    void handle_new_surface(wlr_surface *surface) { new Waiter(surface, loop_, timeout_); }
    void handle_destroy() { delete this; }

    wl_event_loop *loop_;
    std::chrono::milliseconds timeout_;
    Listener<wlr_surface> new_surface_;
    Listener<> destroy_;
};

// A fence that cannot be waited for, or is still pending at the bound: a
// broken producer. Its commit stays locked, so it is never shown, and
// wlroots frees it with the surface when the client goes.
inline void disconnect_client(wlr_surface *surface, const char *why,
                              std::chrono::milliseconds bound) {
    wl_client *client = wl_resource_get_client(surface->resource);
    wlr_log(WLR_ERROR, "%s disconnected: %s (bound %lld ms); its frame was not shown",
            describe_client(client).c_str(), why, static_cast<long long>(bound.count()));
    wl_client_post_implementation_error(client, "%s (bound %lld ms)", why,
                                        static_cast<long long>(bound.count()));
}

} // namespace fencecam
