// An owned wl_event_source (fd watch, timer, signal, idle).
//
// Removing a source twice, or leaving one behind whose callback points at a
// freed object, are the event-loop versions of a dangling pointer. An
// EventSource removes its source when it goes out of scope; the callback is a
// std::function, so it can capture its owner.
#pragma once

#include <functional>
#include <memory>

#include <wayland-server-core.h>

namespace fencecam {

class EventSource {
  public:
    using Callback = std::function<void()>;
    using FdCallback = std::function<void(uint32_t mask)>;

    EventSource() = default;

    static EventSource timer(wl_event_loop *loop, Callback callback) {
        EventSource source(std::make_unique<Callbacks>(Callbacks{std::move(callback), {}}));
        source.source_.reset(
            wl_event_loop_add_timer(loop, &EventSource::dispatch_plain, source.callbacks_.get()));
        return source;
    }

    static EventSource signal(wl_event_loop *loop, int signal_number, Callback callback) {
        EventSource source(std::make_unique<Callbacks>(Callbacks{std::move(callback), {}}));
        source.source_.reset(wl_event_loop_add_signal(
            loop, signal_number, [](int, void *data) { return dispatch_plain(data); },
            source.callbacks_.get()));
        return source;
    }

    static EventSource fd(wl_event_loop *loop, int fd, uint32_t mask, FdCallback callback) {
        EventSource source(std::make_unique<Callbacks>(Callbacks{{}, std::move(callback)}));
        source.source_.reset(wl_event_loop_add_fd(
            loop, fd, mask,
            [](int, uint32_t mask, void *data) {
                static_cast<Callbacks *>(data)->on_fd(mask);
                return 0;
            },
            source.callbacks_.get()));
        return source;
    }

    explicit operator bool() const { return source_ != nullptr; }
    wl_event_source *get() const { return source_.get(); }

    // Timers: arm for `ms` milliseconds from now; 0 disarms.
    void arm(int ms) { wl_event_source_timer_update(source_.get(), ms); }
    void reset() { source_.reset(); }

  private:
    struct Callbacks {
        Callback on_event;
        FdCallback on_fd;
    };
    struct Remove {
        void operator()(wl_event_source *source) const { wl_event_source_remove(source); }
    };

    explicit EventSource(std::unique_ptr<Callbacks> callbacks)
        : callbacks_(std::move(callbacks)) {}

    static int dispatch_plain(void *data) {
        static_cast<Callbacks *>(data)->on_event();
        return 0;
    }

    // Declared before source_ so that the source is removed first.
    std::unique_ptr<Callbacks> callbacks_;
    std::unique_ptr<wl_event_source, Remove> source_;
};

} // namespace fencecam
