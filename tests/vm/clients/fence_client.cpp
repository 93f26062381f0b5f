// fencecam-fence-client: a Wayland client a VM test drives line by line on
// stdin, to commit dma-bufs whose fences the test controls.
//
//   fencecam-fence-client implicit   vgem dma-bufs, vgem write fences
//   fencecam-fence-client syncobj    vgem dma-bufs, linux-drm-syncobj-v1 with
//                                    acquire points backed by sw_sync fences
//                                    on a virtio_gpu timeline
//
// Commands (each answered with one line, "ok ..." or "error ..."):
//   show R G B      commit a buffer of that colour, ready at once
//   fenced R G B    commit a buffer of that colour whose fence is unsignalled
//   signal          signal the last fence
//   released N      "ok 1" if the release point of commit N (from 1) has
//                   signalled, "ok 0" if not (syncobj)
//   never R G B     commit with an acquire point that never materialises (syncobj)
//   bad-timeline    import a timeline fd that is not a syncobj (syncobj)
//   bad PARAM       create a dma-buf wl_buffer with one bad parameter:
//                   stride, offset, size, fd, format, modifier
//   readonly R G B  commit a half-size buffer exported read-only
//   hold R G B      commit a fenced buffer and never signal (then kill me)
//   unused N P...   N times: params with a dma-buf at each plane index P,
//                   destroyed without create (no error is due)
//   rejected P...   params with a dma-buf at each plane index P, then create
//                   (a gap: the compositor must refuse them)
//   reused          create a buffer from params, then add to them again
//   huge W H        commit a W x H XR24 dma-buf (the compositor must refuse
//                   one larger than it can show)
//   stream N        N commits of its own buffers, one per frame callback,
//                   each reused only once released; then one line per commit:
//                   "frame I BUFFER COMMIT PRESENTED RELEASED" (CLOCK_MONOTONIC
//                   ns; PRESENTED 0 if discarded, RELEASED 0 if not yet),
//                   releases polled every millisecond (syncobj: the release
//                   point; implicit: wl_buffer.release)
// A protocol error from the compositor prints "protocol-error ..." and exits 3.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <drm_fourcc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xf86drm.h>

#include "devices.hpp"
#include "dma_fence.hpp"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

using fencecam::UniqueFd;
using namespace fencecam::vm;

namespace {

// vgem's uAPI (include/uapi/drm/vgem_drm.h; libdrm does not ship it).
struct vgem_fence_attach {
    uint32_t handle;
    uint32_t flags;
    uint32_t out_fence;
    uint32_t pad;
};
struct vgem_fence_signal {
    uint32_t fence;
    uint32_t flags;
};
constexpr uint32_t vgem_fence_write = 0x1;
constexpr unsigned long vgem_ioctl_fence_attach =
    DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach);
constexpr unsigned long vgem_ioctl_fence_signal =
    DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal);

[[noreturn]] void die(const std::string &message) {
    std::printf("error %s: %s\n", message.c_str(), std::strerror(errno));
    std::fflush(stdout);
    std::exit(2);
}

struct Buffer {
    uint32_t handle = 0;
    uint32_t width = 0, height = 0, stride = 0;
    uint32_t *pixels = nullptr;
    size_t size = 0;
    UniqueFd dmabuf;
    wl_buffer *buffer = nullptr;
};

struct Stream;

struct Client {
    bool syncobj_mode = false;
    wl_display *display = nullptr;
    wl_compositor *compositor = nullptr;
    xdg_wm_base *wm_base = nullptr;
    zwp_linux_dmabuf_v1 *dmabuf = nullptr;
    wp_linux_drm_syncobj_manager_v1 *syncobj_manager = nullptr;
    wp_presentation *presentation = nullptr;
    wl_surface *surface = nullptr;
    xdg_surface *xdg = nullptr;
    xdg_toplevel *toplevel = nullptr;
    bool configured = false;
    int width = 640, height = 480;

    UniqueFd vgem;
    std::vector<Buffer> buffers;
    unsigned next = 0;
    uint32_t last_vgem_fence = 0;

    // syncobj mode
    UniqueFd gpu;
    uint32_t timeline = 0;
    wp_linux_drm_syncobj_timeline_v1 *timeline_object = nullptr;
    wp_linux_drm_syncobj_surface_v1 *syncobj_surface = nullptr;
    uint64_t next_point = 1;
    std::vector<uint64_t> release_points;
    SwSyncTimeline sw_sync;
    uint32_t sw_sync_value = 0;

    std::vector<std::unique_ptr<Stream>> streams;
};

void handle_global(void *data, wl_registry *registry, uint32_t name, const char *interface,
                   uint32_t) {
    auto *client = static_cast<Client *>(data);
    const std::string iface = interface;
    if (iface == wl_compositor_interface.name) {
        client->compositor = static_cast<wl_compositor *>(
            wl_registry_bind(registry, name, &wl_compositor_interface, 4));
    } else if (iface == xdg_wm_base_interface.name) {
        client->wm_base =
            static_cast<xdg_wm_base *>(wl_registry_bind(registry, name, &xdg_wm_base_interface, 1));
    } else if (iface == zwp_linux_dmabuf_v1_interface.name) {
        client->dmabuf = static_cast<zwp_linux_dmabuf_v1 *>(
            wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3));
    } else if (iface == wp_linux_drm_syncobj_manager_v1_interface.name) {
        client->syncobj_manager = static_cast<wp_linux_drm_syncobj_manager_v1 *>(
            wl_registry_bind(registry, name, &wp_linux_drm_syncobj_manager_v1_interface, 1));
    } else if (iface == wp_presentation_interface.name) {
        client->presentation = static_cast<wp_presentation *>(
            wl_registry_bind(registry, name, &wp_presentation_interface, 1));
    }
}
void handle_global_remove(void *, wl_registry *, uint32_t) {}
const wl_registry_listener registry_listener{handle_global, handle_global_remove};

void handle_ping(void *, xdg_wm_base *base, uint32_t serial) {
    xdg_wm_base_pong(base, serial);
}
const xdg_wm_base_listener wm_base_listener{handle_ping};

void handle_xdg_configure(void *data, xdg_surface *xdg, uint32_t serial) {
    xdg_surface_ack_configure(xdg, serial);
    static_cast<Client *>(data)->configured = true;
}
const xdg_surface_listener xdg_listener{handle_xdg_configure};

void handle_toplevel_configure(void *data, xdg_toplevel *, int32_t width, int32_t height,
                               wl_array *) {
    auto *client = static_cast<Client *>(data);
    if (width > 0 && height > 0) {
        client->width = width;
        client->height = height;
    }
}
void handle_toplevel_close(void *, xdg_toplevel *) {}
const xdg_toplevel_listener toplevel_listener{handle_toplevel_configure, handle_toplevel_close,
                                              nullptr, nullptr};

void check_display(Client &client) {
    if (wl_display_get_error(client.display) != 0) {
        uint32_t code = 0;
        const wl_interface *interface = nullptr;
        wl_display_get_protocol_error(client.display, &interface, nullptr);
        code = wl_display_get_error(client.display);
        std::printf("protocol-error %s %u\n", interface ? interface->name : "-", code);
        std::fflush(stdout);
        std::exit(3);
    }
}

void roundtrip(Client &client) {
    wl_display_roundtrip(client.display);
    check_display(client);
}

Buffer make_buffer(Client &client, uint32_t width, uint32_t height, bool writable) {
    Buffer buffer;
    drm_mode_create_dumb create{};
    create.width = width;
    create.height = height;
    create.bpp = 32;
    if (drmIoctl(client.vgem.get(), DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0) {
        die("DRM_IOCTL_MODE_CREATE_DUMB");
    }
    buffer.handle = create.handle;
    buffer.width = width;
    buffer.height = height;
    buffer.stride = create.pitch;
    buffer.size = create.size;
    drm_mode_map_dumb map{};
    map.handle = create.handle;
    if (drmIoctl(client.vgem.get(), DRM_IOCTL_MODE_MAP_DUMB, &map) != 0) {
        die("DRM_IOCTL_MODE_MAP_DUMB");
    }
    void *pixels = mmap(nullptr, buffer.size, PROT_READ | PROT_WRITE, MAP_SHARED, client.vgem.get(),
                        static_cast<off_t>(map.offset));
    if (pixels == MAP_FAILED) {
        die("mmap");
    }
    buffer.pixels = static_cast<uint32_t *>(pixels);
    int fd = -1;
    if (drmPrimeHandleToFD(client.vgem.get(), buffer.handle,
                           DRM_CLOEXEC | (writable ? DRM_RDWR : 0), &fd) != 0) {
        die("drmPrimeHandleToFD");
    }
    buffer.dmabuf.reset(fd);
    return buffer;
}

// A wl_buffer for `buffer`, with one parameter spoiled when `bad` names it.
wl_buffer *create_wl_buffer(Client &client, const Buffer &buffer, const std::string &bad = "") {
    zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(client.dmabuf);
    UniqueFd not_a_dmabuf(eventfd(0, EFD_CLOEXEC));
    const int fd = bad == "fd" ? not_a_dmabuf.get() : buffer.dmabuf.get();
    const uint32_t offset = bad == "offset" ? 4096 * 1024 : 0;
    const uint32_t stride = bad == "stride" ? buffer.stride / 4 : buffer.stride;
    const uint64_t modifier = bad == "modifier" ? 0x00ffffffffffff01ull : DRM_FORMAT_MOD_LINEAR;
    zwp_linux_buffer_params_v1_add(params, fd, 0, offset, stride, uint32_t(modifier >> 32),
                                   uint32_t(modifier & 0xffffffff));
    const uint32_t width = bad == "size" ? buffer.width * 4 : buffer.width;
    const uint32_t format = bad == "format" ? fourcc_code('N', 'O', 'P', 'E') : DRM_FORMAT_XRGB8888;
    wl_buffer *result = zwp_linux_buffer_params_v1_create_immed(params, int32_t(width),
                                                                int32_t(buffer.height), format, 0);
    zwp_linux_buffer_params_v1_destroy(params);
    return result;
}

// Params holding the first buffer's dma-buf at each of `planes`.
zwp_linux_buffer_params_v1 *params_with_planes(Client &client,
                                               const std::vector<uint32_t> &planes) {
    zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(client.dmabuf);
    const Buffer &buffer = client.buffers.front();
    for (uint32_t plane : planes) {
        zwp_linux_buffer_params_v1_add(params, buffer.dmabuf.get(), plane, 0, buffer.stride, 0,
                                       uint32_t(DRM_FORMAT_MOD_LINEAR));
    }
    return params;
}

std::vector<uint32_t> read_planes(std::istream &in) {
    std::vector<uint32_t> planes;
    for (uint32_t plane; in >> plane;) {
        planes.push_back(plane);
    }
    return planes;
}

void fill(Buffer &buffer, uint32_t color) {
    for (uint32_t y = 0; y < buffer.height; ++y) {
        for (uint32_t x = 0; x < buffer.width; ++x) {
            buffer.pixels[y * buffer.stride / 4 + x] = color;
        }
    }
}

Buffer &next_buffer(Client &client) {
    Buffer &buffer = client.buffers[client.next];
    client.next = (client.next + 1) % client.buffers.size();
    return buffer;
}

// The syncobj timeline point `point` takes the fence in `sync_file`.
void import_point(Client &client, uint64_t point, int sync_file) {
    uint32_t binary = 0;
    if (drmSyncobjCreate(client.gpu.get(), 0, &binary) != 0 ||
        drmSyncobjImportSyncFile(client.gpu.get(), binary, sync_file) != 0 ||
        drmSyncobjTransfer(client.gpu.get(), client.timeline, point, binary, 0, 0) != 0) {
        die("importing a sync_file into a timeline point");
    }
    drmSyncobjDestroy(client.gpu.get(), binary);
}

enum class Fence { ready, pending, never };

void commit(Client &client, Buffer &buffer, Fence fence) {
    if (client.syncobj_mode) {
        uint64_t acquire = client.next_point++;
        const uint64_t release = client.next_point++;
        if (fence == Fence::ready) {
            drmSyncobjTimelineSignal(client.gpu.get(), &client.timeline, &acquire, 1);
        } else if (fence == Fence::pending) {
            UniqueFd sync_file =
                client.sw_sync.create_fence(++client.sw_sync_value, "fencecam-test");
            if (!sync_file) {
                die("sw_sync fence");
            }
            import_point(client, acquire, sync_file.get());
        }
        wp_linux_drm_syncobj_surface_v1_set_acquire_point(
            client.syncobj_surface, client.timeline_object, uint32_t(acquire >> 32),
            uint32_t(acquire));
        wp_linux_drm_syncobj_surface_v1_set_release_point(
            client.syncobj_surface, client.timeline_object, uint32_t(release >> 32),
            uint32_t(release));
        client.release_points.push_back(release);
    } else if (fence != Fence::ready) {
        vgem_fence_attach attach{buffer.handle, vgem_fence_write, 0, 0};
        if (drmIoctl(client.vgem.get(), vgem_ioctl_fence_attach, &attach) != 0) {
            die("DRM_IOCTL_VGEM_FENCE_ATTACH");
        }
        client.last_vgem_fence = attach.out_fence;
    }
    wl_surface_attach(client.surface, buffer.buffer, 0, 0);
    wl_surface_damage_buffer(client.surface, 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(client.surface);
}

uint32_t read_color(std::istream &in) {
    unsigned r = 0, g = 0, b = 0;
    in >> r >> g >> b;
    return 0xff000000u | (r << 16) | (g << 8) | b;
}

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A stream of commits the way a camera client makes them: one per frame
// callback, each of a buffer the compositor has released, and what the
// client saw of each: when it committed, when the compositor says the commit
// was presented (the page flip), when the buffer came back.
struct Stream {
    struct Frame {
        size_t buffer = 0;
        int64_t commit_ns = 0;
        int64_t presented_ns = -1; // -1 no feedback yet, 0 discarded
        int64_t released_ns = 0;
    };
    struct StreamBuffer {
        Stream *stream = nullptr;
        Buffer pixels;
        size_t frame = 0;
        bool busy = false;
        // syncobj: a release timeline of its own, so that its points are
        // added in order (a point signalled past another counts for both).
        uint32_t release_timeline = 0;
        wp_linux_drm_syncobj_timeline_v1 *release_object = nullptr;
        uint64_t release_point = 0;
    };
    struct FeedbackSlot {
        Stream *stream = nullptr;
        size_t frame = 0;
    };

    Client *client = nullptr;
    std::vector<std::unique_ptr<StreamBuffer>> buffers;
    std::vector<std::unique_ptr<FeedbackSlot>> feedbacks;
    std::vector<Frame> frames;
    bool frame_due = true;
    uint32_t acquire_timeline = 0;
    wp_linux_drm_syncobj_timeline_v1 *acquire_object = nullptr;
    uint64_t acquire_point = 0;
};

wp_linux_drm_syncobj_timeline_v1 *import_timeline(Client &client, uint32_t *handle) {
    int fd = -1;
    if (drmSyncobjCreate(client.gpu.get(), 0, handle) != 0 ||
        drmSyncobjHandleToFD(client.gpu.get(), *handle, &fd) != 0) {
        die("a timeline for the stream");
    }
    UniqueFd timeline_fd(fd);
    return wp_linux_drm_syncobj_manager_v1_import_timeline(client.syncobj_manager,
                                                           timeline_fd.get());
}

void handle_stream_buffer_release(void *data, wl_buffer *) {
    auto *buffer = static_cast<Stream::StreamBuffer *>(data);
    // With explicit sync the release point is what counts.
    if (!buffer->stream->client->syncobj_mode && buffer->busy) {
        buffer->busy = false;
        buffer->stream->frames[buffer->frame].released_ns = now_ns();
    }
}
const wl_buffer_listener stream_buffer_listener{handle_stream_buffer_release};

void handle_stream_frame_done(void *data, wl_callback *callback, uint32_t) {
    static_cast<Stream *>(data)->frame_due = true;
    wl_callback_destroy(callback);
}
const wl_callback_listener stream_frame_listener{handle_stream_frame_done};

void handle_feedback_presented(void *data, struct wp_presentation_feedback *feedback,
                               uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec, uint32_t, uint32_t,
                               uint32_t, uint32_t) {
    auto *slot = static_cast<Stream::FeedbackSlot *>(data);
    slot->stream->frames[slot->frame].presented_ns =
        int64_t((uint64_t(sec_hi) << 32) | sec_lo) * 1000000000 + nsec;
    wp_presentation_feedback_destroy(feedback);
}
void handle_feedback_discarded(void *data, struct wp_presentation_feedback *feedback) {
    auto *slot = static_cast<Stream::FeedbackSlot *>(data);
    slot->stream->frames[slot->frame].presented_ns = 0;
    wp_presentation_feedback_destroy(feedback);
}
const wp_presentation_feedback_listener feedback_listener{
    [](void *, struct wp_presentation_feedback *, wl_output *) {}, handle_feedback_presented,
    handle_feedback_discarded};

void stream_commit(Stream &stream, size_t index) {
    Client &client = *stream.client;
    Stream::StreamBuffer &buffer = *stream.buffers[index];
    buffer.busy = true;
    buffer.frame = stream.frames.size();
    if (client.syncobj_mode) {
        uint64_t acquire = ++stream.acquire_point;
        drmSyncobjTimelineSignal(client.gpu.get(), &stream.acquire_timeline, &acquire, 1);
        const uint64_t release = ++buffer.release_point;
        wp_linux_drm_syncobj_surface_v1_set_acquire_point(
            client.syncobj_surface, stream.acquire_object, uint32_t(acquire >> 32),
            uint32_t(acquire));
        wp_linux_drm_syncobj_surface_v1_set_release_point(
            client.syncobj_surface, buffer.release_object, uint32_t(release >> 32),
            uint32_t(release));
    }
    auto slot = std::make_unique<Stream::FeedbackSlot>(Stream::FeedbackSlot{&stream, buffer.frame});
    wp_presentation_feedback_add_listener(
        wp_presentation_feedback(client.presentation, client.surface), &feedback_listener,
        slot.get());
    stream.feedbacks.push_back(std::move(slot));
    wl_callback_add_listener(wl_surface_frame(client.surface), &stream_frame_listener, &stream);
    wl_surface_attach(client.surface, buffer.pixels.buffer, 0, 0);
    wl_surface_damage_buffer(client.surface, 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(client.surface);
    stream.frames.push_back({index, now_ns(), -1, 0});
    stream.frame_due = false;
}

// Release points are polled: the client learns of them only by looking.
void poll_release_points(Stream &stream) {
    for (auto &buffer : stream.buffers) {
        if (!buffer->busy) {
            continue;
        }
        uint64_t point = buffer->release_point;
        if (drmSyncobjTimelineWait(stream.client->gpu.get(), &buffer->release_timeline, &point, 1,
                                   0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, nullptr) == 0) {
            buffer->busy = false;
            stream.frames[buffer->frame].released_ns = now_ns();
        }
    }
}

bool stream_settled(const Stream &stream, size_t count) {
    if (stream.frames.size() < count) {
        return false;
    }
    for (size_t i = 0; i < stream.frames.size(); ++i) {
        const Stream::Frame &frame = stream.frames[i];
        // The last commit stays on screen: its buffer is not due back.
        if (frame.presented_ns < 0 || (i + 1 < stream.frames.size() && frame.released_ns == 0)) {
            return false;
        }
    }
    return true;
}

void run_stream(Client &client, size_t count) {
    if (!client.presentation) {
        errno = 0;
        die("the compositor offers no wp_presentation");
    }
    auto owned = std::make_unique<Stream>();
    Stream &stream = *owned;
    client.streams.push_back(std::move(owned));
    stream.client = &client;
    if (client.syncobj_mode) {
        stream.acquire_object = import_timeline(client, &stream.acquire_timeline);
    }
    const uint32_t colors[] = {0xffff0000u, 0xff00ff00u, 0xff0000ffu};
    for (uint32_t color : colors) {
        auto buffer = std::make_unique<Stream::StreamBuffer>();
        buffer->stream = &stream;
        buffer->pixels = make_buffer(client, uint32_t(client.width), uint32_t(client.height), true);
        fill(buffer->pixels, color);
        buffer->pixels.buffer = create_wl_buffer(client, buffer->pixels);
        wl_buffer_add_listener(buffer->pixels.buffer, &stream_buffer_listener, buffer.get());
        if (client.syncobj_mode) {
            buffer->release_object = import_timeline(client, &buffer->release_timeline);
        }
        stream.buffers.push_back(std::move(buffer));
    }
    roundtrip(client);

    // Ten seconds past the last commit at most for the rest to come back.
    int64_t give_up_ns = 0;
    while (!stream_settled(stream, count)) {
        if (stream.frames.size() < count && stream.frame_due) {
            for (size_t i = 0; i < stream.buffers.size(); ++i) {
                if (!stream.buffers[i]->busy) {
                    stream_commit(stream, i);
                    break;
                }
            }
            if (stream.frames.size() == count) {
                give_up_ns = now_ns() + 10000000000;
            }
        }
        if (give_up_ns && now_ns() > give_up_ns) {
            break;
        }
        wl_display_flush(client.display);
        pollfd fd{wl_display_get_fd(client.display), POLLIN, 0};
        const int ready = poll(&fd, 1, 1);
        if ((ready > 0 ? wl_display_dispatch(client.display)
                       : wl_display_dispatch_pending(client.display)) < 0) {
            check_display(client);
            die("wl_display_dispatch");
        }
        if (client.syncobj_mode) {
            poll_release_points(stream);
        }
    }
    for (size_t i = 0; i < stream.frames.size(); ++i) {
        const Stream::Frame &frame = stream.frames[i];
        std::printf("frame %zu %zu %lld %lld %lld\n", i, frame.buffer,
                    static_cast<long long>(frame.commit_ns),
                    static_cast<long long>(std::max<int64_t>(frame.presented_ns, 0)),
                    static_cast<long long>(frame.released_ns));
    }
}

void handle_command(Client &client, const std::string &line) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    if (command == "show" || command == "fenced" || command == "never" || command == "hold") {
        Buffer &buffer = next_buffer(client);
        fill(buffer, read_color(in));
        commit(client, buffer,
               command == "show"    ? Fence::ready
               : command == "never" ? Fence::never
                                    : Fence::pending);
    } else if (command == "signal") {
        if (client.syncobj_mode) {
            client.sw_sync.advance(1);
        } else {
            vgem_fence_signal args{client.last_vgem_fence, 0};
            if (drmIoctl(client.vgem.get(), vgem_ioctl_fence_signal, &args) != 0) {
                die("DRM_IOCTL_VGEM_FENCE_SIGNAL");
            }
        }
    } else if (command == "released") {
        size_t n = 0;
        in >> n;
        if (n == 0 || n > client.release_points.size()) {
            std::printf("error no commit %zu\n", n);
            std::fflush(stdout);
            return;
        }
        uint64_t point = client.release_points[n - 1];
        const int ret = drmSyncobjTimelineWait(client.gpu.get(), &client.timeline, &point, 1, 0,
                                               DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, nullptr);
        std::printf("ok %d\n", ret == 0 ? 1 : 0);
        std::fflush(stdout);
        return;
    } else if (command == "bad-timeline") {
        UniqueFd not_a_syncobj(eventfd(0, EFD_CLOEXEC));
        wp_linux_drm_syncobj_manager_v1_import_timeline(client.syncobj_manager,
                                                        not_a_syncobj.get());
    } else if (command == "bad") {
        std::string param;
        in >> param;
        Buffer &buffer = next_buffer(client);
        wl_buffer *bad = create_wl_buffer(client, buffer, param);
        wl_surface_attach(client.surface, bad, 0, 0);
        wl_surface_commit(client.surface);
    } else if (command == "unused") {
        int count = 0;
        in >> count;
        const std::vector<uint32_t> planes = read_planes(in);
        for (int i = 0; i < count; ++i) {
            zwp_linux_buffer_params_v1_destroy(params_with_planes(client, planes));
        }
    } else if (command == "rejected") {
        const Buffer &buffer = client.buffers.front();
        zwp_linux_buffer_params_v1_create(params_with_planes(client, read_planes(in)),
                                          int32_t(buffer.width), int32_t(buffer.height),
                                          DRM_FORMAT_XRGB8888, 0);
    } else if (command == "reused") {
        const Buffer &buffer = client.buffers.front();
        zwp_linux_buffer_params_v1 *params = params_with_planes(client, {0});
        zwp_linux_buffer_params_v1_create_immed(params, int32_t(buffer.width),
                                                int32_t(buffer.height), DRM_FORMAT_XRGB8888, 0);
        zwp_linux_buffer_params_v1_add(params, buffer.dmabuf.get(), 1, 0, buffer.stride, 0,
                                       uint32_t(DRM_FORMAT_MOD_LINEAR));
    } else if (command == "huge") {
        uint32_t width = 0, height = 0;
        in >> width >> height;
        Buffer buffer = make_buffer(client, width, height, true);
        buffer.buffer = create_wl_buffer(client, buffer);
        wl_surface_attach(client.surface, buffer.buffer, 0, 0);
        wl_surface_damage_buffer(client.surface, 0, 0, INT32_MAX, INT32_MAX);
        wl_surface_commit(client.surface);
        client.buffers.push_back(std::move(buffer));
    } else if (command == "stream") {
        size_t count = 0;
        in >> count;
        run_stream(client, count);
    } else if (command == "readonly") {
        Buffer buffer = make_buffer(client, 320, 240, false);
        fill(buffer, read_color(in));
        buffer.buffer = create_wl_buffer(client, buffer);
        wl_surface_attach(client.surface, buffer.buffer, 0, 0);
        wl_surface_damage_buffer(client.surface, 0, 0, INT32_MAX, INT32_MAX);
        wl_surface_commit(client.surface);
        client.buffers.push_back(std::move(buffer));
    } else {
        std::printf("error unknown command %s\n", command.c_str());
        std::fflush(stdout);
        return;
    }
    roundtrip(client);
    std::printf("ok\n");
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
    Client client;
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode != "implicit" && mode != "syncobj") {
        std::fprintf(stderr, "usage: %s implicit|syncobj\n", argv[0]);
        return 1;
    }
    client.syncobj_mode = mode == "syncobj";

    client.display = wl_display_connect(nullptr);
    if (!client.display) {
        die("wl_display_connect");
    }
    wl_registry *registry = wl_display_get_registry(client.display);
    wl_registry_add_listener(registry, &registry_listener, &client);
    roundtrip(client);
    if (!client.compositor || !client.wm_base || !client.dmabuf) {
        errno = 0;
        die("the compositor lacks wl_compositor, xdg_wm_base or linux-dmabuf");
    }
    xdg_wm_base_add_listener(client.wm_base, &wm_base_listener, nullptr);

    const auto vgem = find_drm_node("vgem", DrmNode::Card);
    client.vgem.reset(vgem ? ::open(vgem->c_str(), O_RDWR | O_CLOEXEC) : -1);
    if (!client.vgem) {
        die("no vgem device");
    }

    client.surface = wl_compositor_create_surface(client.compositor);
    if (client.syncobj_mode) {
        if (!client.syncobj_manager) {
            errno = 0;
            die("the compositor offers no linux-drm-syncobj-v1");
        }
        const auto gpu = find_drm_node("virtio_gpu", DrmNode::Render);
        client.gpu.reset(gpu ? ::open(gpu->c_str(), O_RDWR | O_CLOEXEC) : -1);
        if (!client.gpu || drmSyncobjCreate(client.gpu.get(), 0, &client.timeline) != 0) {
            die("no virtio_gpu timeline");
        }
        int fd = -1;
        if (drmSyncobjHandleToFD(client.gpu.get(), client.timeline, &fd) != 0) {
            die("drmSyncobjHandleToFD");
        }
        UniqueFd timeline_fd(fd);
        client.timeline_object = wp_linux_drm_syncobj_manager_v1_import_timeline(
            client.syncobj_manager, timeline_fd.get());
        client.syncobj_surface =
            wp_linux_drm_syncobj_manager_v1_get_surface(client.syncobj_manager, client.surface);
        if (!client.sw_sync) {
            die("no sw_sync");
        }
    }
    client.xdg = xdg_wm_base_get_xdg_surface(client.wm_base, client.surface);
    xdg_surface_add_listener(client.xdg, &xdg_listener, &client);
    client.toplevel = xdg_surface_get_toplevel(client.xdg);
    xdg_toplevel_add_listener(client.toplevel, &toplevel_listener, &client);
    xdg_toplevel_set_title(client.toplevel, ("fence-client " + mode).c_str());
    wl_surface_commit(client.surface);
    while (!client.configured) {
        if (wl_display_dispatch(client.display) < 0) {
            check_display(client);
            die("wl_display_dispatch");
        }
    }
    for (int i = 0; i < 4; ++i) {
        Buffer buffer = make_buffer(client, uint32_t(client.width), uint32_t(client.height), true);
        buffer.buffer = create_wl_buffer(client, buffer);
        client.buffers.push_back(std::move(buffer));
    }
    roundtrip(client);
    std::printf("ready %dx%d\n", client.width, client.height);
    std::fflush(stdout);

    // Commands on stdin; compositor events (errors, pings) in between.
    std::string pending_input;
    for (;;) {
        wl_display_flush(client.display);
        pollfd fds[2] = {{wl_display_get_fd(client.display), POLLIN, 0}, {0, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            die("poll");
        }
        if (fds[0].revents) {
            if (wl_display_dispatch(client.display) < 0) {
                check_display(client);
                die("disconnected");
            }
        }
        if (fds[1].revents) {
            char chunk[256];
            const ssize_t n = read(0, chunk, sizeof chunk);
            if (n <= 0) {
                return 0;
            }
            pending_input.append(chunk, size_t(n));
            size_t end;
            while ((end = pending_input.find('\n')) != std::string::npos) {
                handle_command(client, pending_input.substr(0, end));
                pending_input.erase(0, end + 1);
            }
        }
    }
}
