// Contract: a key pressed on a uinput keyboard reaches libinput through udev
// (the path wlroots' libinput backend takes): the guest's udev tags the new
// device, libinput adds it to seat0, and the key and its state arrive.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include <fcntl.h>
#include <libinput.h>
#include <libudev.h>
#include <poll.h>
#include <linux/uinput.h>

#include "dma_fence.hpp"
#include "unique_fd.hpp"

using fencecam::UniqueFd;
using fencecam::vm::ready_events;

namespace {

constexpr const char *keyboard_name = "fencecam test keyboard";

int open_restricted(const char *path, int flags, void *) {
    const int fd = ::open(path, flags | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}
void close_restricted(int fd, void *) {
    ::close(fd);
}
constexpr libinput_interface interface = {open_restricted, close_restricted};

struct UdevDeleter {
    void operator()(udev *u) const { udev_unref(u); }
};
struct LibinputDeleter {
    void operator()(libinput *li) const { libinput_unref(li); }
};
struct EventDeleter {
    void operator()(libinput_event *event) const { libinput_event_destroy(event); }
};
using Event = std::unique_ptr<libinput_event, EventDeleter>;

// A uinput keyboard with one key; destroyed with the fd.
UniqueFd create_keyboard() {
    UniqueFd fd(::open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    uinput_setup setup{};
    setup.id.bustype = BUS_VIRTUAL;
    setup.id.vendor = 0xfc;
    setup.id.product = 0x1;
    std::strncpy(setup.name, keyboard_name, UINPUT_MAX_NAME_SIZE - 1);
    if (!fd || ::ioctl(fd.get(), UI_SET_EVBIT, EV_KEY) != 0 ||
        ::ioctl(fd.get(), UI_SET_KEYBIT, KEY_A) != 0 ||
        ::ioctl(fd.get(), UI_DEV_SETUP, &setup) != 0 || ::ioctl(fd.get(), UI_DEV_CREATE) != 0) {
        return UniqueFd();
    }
    return fd;
}

bool emit(int fd, std::uint16_t type, std::uint16_t code, std::int32_t value) {
    input_event event{};
    event.type = type;
    event.code = code;
    event.value = value;
    return ::write(fd, &event, sizeof event) == sizeof event;
}

// The next libinput event of `type`, dispatching for up to `timeout`.
Event next_event(libinput *li, libinput_event_type type, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        libinput_dispatch(li);
        while (Event event{libinput_get_event(li)}) {
            if (libinput_event_get_type(event.get()) == type) {
                return event;
            }
        }
        ready_events(libinput_get_fd(li), POLLIN, 100);
    }
    return nullptr;
}

} // namespace

TEST(UinputLibinput, KeyPressReachesLibinput) {
    UniqueFd keyboard = create_keyboard();
    ASSERT_TRUE(keyboard) << "cannot create a uinput keyboard: " << std::strerror(errno);

    std::unique_ptr<udev, UdevDeleter> udev_context(udev_new());
    ASSERT_TRUE(udev_context);
    std::unique_ptr<libinput, LibinputDeleter> li(
        libinput_udev_create_context(&interface, nullptr, udev_context.get()));
    ASSERT_TRUE(li);
    ASSERT_EQ(libinput_udev_assign_seat(li.get(), "seat0"), 0);

    // Other devices (the i8042 keyboard...) may come first; wait for ours.
    bool added = false;
    for (Event event; !added;) {
        event = next_event(li.get(), LIBINPUT_EVENT_DEVICE_ADDED, std::chrono::seconds(10));
        ASSERT_TRUE(event) << "libinput never added the uinput keyboard (udev did not tag it?)";
        libinput_device *device = libinput_event_get_device(event.get());
        added = std::string(libinput_device_get_name(device)) == keyboard_name;
        if (added) {
            EXPECT_TRUE(libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_KEYBOARD));
        }
    }

    ASSERT_TRUE(emit(keyboard.get(), EV_KEY, KEY_A, 1));
    ASSERT_TRUE(emit(keyboard.get(), EV_SYN, SYN_REPORT, 0));
    ASSERT_TRUE(emit(keyboard.get(), EV_KEY, KEY_A, 0));
    ASSERT_TRUE(emit(keyboard.get(), EV_SYN, SYN_REPORT, 0));

    for (auto state : {LIBINPUT_KEY_STATE_PRESSED, LIBINPUT_KEY_STATE_RELEASED}) {
        Event event = next_event(li.get(), LIBINPUT_EVENT_KEYBOARD_KEY, std::chrono::seconds(5));
        ASSERT_TRUE(event) << "no key event from libinput";
        libinput_event_keyboard *key = libinput_event_get_keyboard_event(event.get());
        EXPECT_EQ(libinput_event_keyboard_get_key(key), unsigned(KEY_A));
        EXPECT_EQ(libinput_event_keyboard_get_key_state(key), state);
    }
}
