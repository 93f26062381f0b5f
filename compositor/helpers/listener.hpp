// An owned wl_listener.
//
// A wl_listener that outlives its signal's emitter, or is freed while still
// linked, corrupts the emitter's list: the classic wlroots use-after-free.
// Listener<T> unlinks itself when it is destroyed or reconnected, so the
// owner's lifetime is the listener's lifetime, and calls a typed handler:
// Listener<wlr_output> gets a wlr_output *, Listener<> gets nothing. The
// handler is usually the owner's member function, named handle_<event> as in
// wlroots: `frame_.connect(&output->events.frame, this, &Output::handle_frame)`.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include <wayland-server-core.h>

namespace fencecam {

template <class T = void> class Listener {
  public:
    using Handler =
        std::conditional_t<std::is_void_v<T>, std::function<void()>, std::function<void(T *)>>;
    template <class Owner>
    using Method = std::conditional_t<std::is_void_v<T>, void (Owner::*)(), void (Owner::*)(T *)>;
    template <class Owner, class Item>
    using ItemMethod = std::conditional_t<std::is_void_v<T>, void (Owner::*)(Item &),
                                          void (Owner::*)(Item &, T *)>;

    Listener() = default;
    Listener(const Listener &) = delete;
    Listener &operator=(const Listener &) = delete;
    ~Listener() { disconnect(); }

    void connect(wl_signal *signal, Handler handler) {
        disconnect();
        handler_ = std::move(handler);
        slot_.listener.notify = &Listener::notify;
        wl_signal_add(signal, &slot_.listener);
    }

    template <class Owner> void connect(wl_signal *signal, Owner *owner, Method<Owner> handler) {
        connect(signal, [owner, handler](auto... data) { (owner->*handler)(data...); });
    }

    // For a listener in one of the owner's entries (a watched surface, a
    // device): the handler also gets that entry, and may free it.
    template <class Owner, class Item>
    void connect(wl_signal *signal, Owner *owner, ItemMethod<Owner, Item> handler, Item &item) {
        connect(signal,
                [owner, handler, &item](auto... data) { (owner->*handler)(item, data...); });
    }

    void disconnect() {
        if (connected()) {
            wl_list_remove(&slot_.listener.link);
            wl_list_init(&slot_.listener.link);
        }
    }

    bool connected() const {
        const wl_list &link = slot_.listener.link;
        return link.next != nullptr && link.next != &link;
    }

  private:
    // wl_listener is the first member of a standard-layout struct, so the
    // pointer wayland hands back converts to the slot, which knows its owner.
    struct Slot {
        wl_listener listener{};
        Listener *owner;
    };

    static void notify(wl_listener *listener, void *data) {
        Listener *self = reinterpret_cast<Slot *>(listener)->owner;
        if constexpr (std::is_void_v<T>) {
            (void)data;
            self->handler_();
        } else {
            self->handler_(static_cast<T *>(data));
        }
    }

    Slot slot_{{}, this};
    Handler handler_;
};

} // namespace fencecam
