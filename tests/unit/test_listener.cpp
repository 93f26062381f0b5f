#include <gtest/gtest.h>

#include <list>
#include <memory>

#include "listener.hpp"

using fencecam::Listener;

namespace {

struct Emitter {
    Emitter() { wl_signal_init(&signal); }
    wl_signal signal;
};

} // namespace

TEST(Listener, CallsTypedHandlerWithEmittedData) {
    Emitter emitter;
    Listener<int> listener;
    int seen = 0;
    listener.connect(&emitter.signal, [&](int *value) { seen = *value; });
    int value = 42;
    wl_signal_emit(&emitter.signal, &value);
    EXPECT_EQ(seen, 42);
}

TEST(Listener, VoidHandlerIgnoresData) {
    Emitter emitter;
    Listener<> listener;
    int calls = 0;
    listener.connect(&emitter.signal, [&] { ++calls; });
    wl_signal_emit(&emitter.signal, nullptr);
    wl_signal_emit(&emitter.signal, nullptr);
    EXPECT_EQ(calls, 2);
}

TEST(Listener, CallsTheOwnersMemberFunction) {
    struct Owner {
        void handle_value(int *value) { seen = *value; }
        void handle_ping() { ++pings; }
        int seen = 0;
        int pings = 0;
    };
    Emitter values;
    Emitter pings;
    Owner owner;
    Listener<int> value_listener;
    Listener<> ping_listener;
    value_listener.connect(&values.signal, &owner, &Owner::handle_value);
    ping_listener.connect(&pings.signal, &owner, &Owner::handle_ping);
    int value = 7;
    wl_signal_emit(&values.signal, &value);
    wl_signal_emit(&pings.signal, nullptr);
    EXPECT_EQ(owner.seen, 7);
    EXPECT_EQ(owner.pings, 1);
}

TEST(Listener, HandlerGetsItsEntryAndMayFreeIt) {
    struct Owner {
        struct Entry {
            int value = 0;
            Listener<> destroy;
        };
        void handle_destroy(Entry &entry) {
            seen = entry.value;
            entries.remove_if([&entry](const Entry &other) { return &other == &entry; });
        }
        std::list<Entry> entries;
        int seen = 0;
    };
    Emitter emitter;
    Owner owner;
    Owner::Entry &entry = owner.entries.emplace_back();
    entry.value = 3;
    entry.destroy.connect(&emitter.signal, &owner, &Owner::handle_destroy, entry);
    wl_signal_emit_mutable(&emitter.signal, nullptr);
    EXPECT_EQ(owner.seen, 3);
    EXPECT_TRUE(owner.entries.empty());
    EXPECT_TRUE(wl_list_empty(&emitter.signal.listener_list));
}

TEST(Listener, DestroyedListenerIsUnlinked) {
    Emitter emitter;
    int calls = 0;
    {
        Listener<> listener;
        listener.connect(&emitter.signal, [&] { ++calls; });
        EXPECT_FALSE(wl_list_empty(&emitter.signal.listener_list));
    }
    // A dangling listener would be called here (and ASan would report it).
    EXPECT_TRUE(wl_list_empty(&emitter.signal.listener_list));
    wl_signal_emit(&emitter.signal, nullptr);
    EXPECT_EQ(calls, 0);
}

TEST(Listener, DisconnectIsIdempotent) {
    Emitter emitter;
    Listener<> listener;
    EXPECT_FALSE(listener.connected());
    listener.disconnect();
    listener.connect(&emitter.signal, [] {});
    EXPECT_TRUE(listener.connected());
    listener.disconnect();
    listener.disconnect();
    EXPECT_FALSE(listener.connected());
    EXPECT_TRUE(wl_list_empty(&emitter.signal.listener_list));
}

TEST(Listener, ReconnectMovesToTheNewSignal) {
    Emitter first;
    Emitter second;
    Listener<> listener;
    int calls = 0;
    listener.connect(&first.signal, [&] { calls += 1; });
    listener.connect(&second.signal, [&] { calls += 10; });
    EXPECT_TRUE(wl_list_empty(&first.signal.listener_list));
    wl_signal_emit(&first.signal, nullptr);
    wl_signal_emit(&second.signal, nullptr);
    EXPECT_EQ(calls, 10);
}

// The wlroots pattern: an object frees itself from its own destroy handler.
TEST(Listener, OwnerMayFreeItselfFromItsHandler) {
    struct Owner {
        Listener<> destroy;
    };
    Emitter emitter;
    auto owner = std::make_unique<Owner>();
    owner->destroy.connect(&emitter.signal, [&] { owner.reset(); });
    wl_signal_emit_mutable(&emitter.signal, nullptr);
    EXPECT_EQ(owner, nullptr);
    EXPECT_TRUE(wl_list_empty(&emitter.signal.listener_list));
}
