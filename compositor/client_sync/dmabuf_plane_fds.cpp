#include "dmabuf_plane_fds.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <unordered_map>

#include <sys/stat.h>
#include <unistd.h>

#include "linux-dmabuf-v1-protocol.h"
#include "listener.hpp"

namespace fencecam {

namespace {

class DmabufPlaneFds {
  public:
    DmabufPlaneFds(wlr_linux_dmabuf_v1 *linux_dmabuf, wl_display *display)
        : logger_(wl_display_add_protocol_logger(display, &DmabufPlaneFds::log_request, this)) {
        destroy_.connect(&linux_dmabuf->events.destroy, this, &DmabufPlaneFds::handle_destroy);
    }
    ~DmabufPlaneFds() {
        wl_protocol_logger_destroy(logger_);
        for (auto &[resource, params] : params_) {
            wl_list_remove(&params->destroy.link);
        }
    }
    DmabufPlaneFds(const DmabufPlaneFds &) = delete;
    DmabufPlaneFds &operator=(const DmabufPlaneFds &) = delete;

  private:
    void handle_destroy() { delete this; }

    // What wlroots' params object holds, as far as its fds go.
    struct Params {
        DmabufPlaneFds *owner;
        wl_resource *resource;
        wl_listener destroy{};
        std::array<int, WLR_DMABUF_MAX_PLANES> fds{-1, -1, -1, -1};
        // What each fd was, so that one wlroots did close (a wlroots with
        // the fix) and the number reused since is never closed here.
        std::array<struct stat, WLR_DMABUF_MAX_PLANES> files{};
        bool used = false;
        bool has_modifier = false;
        uint64_t modifier = 0;
    };

    // zwp_linux_buffer_params_v1 requests: destroy, add, create, create_immed.
    static constexpr int opcode_add = 1;
    static constexpr int opcode_create = 2;

    // Runs for every request and event: keep it to a few comparisons.
    static void log_request(void *data, wl_protocol_logger_type type,
                            const wl_protocol_logger_message *message) {
        if (type != WL_PROTOCOL_LOGGER_REQUEST || message->message_opcode < opcode_add ||
            std::strcmp(wl_resource_get_class(message->resource), "zwp_linux_buffer_params_v1") !=
                0) {
            return;
        }
        auto *self = static_cast<DmabufPlaneFds *>(data);
        Params &params = self->params_for(message->resource);
        if (message->message_opcode == opcode_add) {
            const wl_argument *args = message->arguments;
            const uint64_t modifier = (uint64_t{args[4].u} << 32) | args[5].u;
            add(params, args[0].h, args[1].u, modifier);
        } else if (message->message_opcode >= opcode_create) {
            params.used = true;
        }
    }

    // wlroots' params_add, as far as who owns the fd: it closes what it
    // refuses and keeps the rest in slot `plane`.
    static void add(Params &params, int fd, uint32_t plane, uint64_t modifier) {
        if (params.used || plane >= params.fds.size() || params.fds[plane] != -1 ||
            (params.has_modifier && modifier != params.modifier)) {
            return;
        }
        fstat(fd, &params.files[plane]);
        params.fds[plane] = fd;
        params.has_modifier = true;
        params.modifier = modifier;
    }

    Params &params_for(wl_resource *resource) {
        auto &slot = params_[resource];
        if (!slot) {
            slot = std::make_unique<Params>(Params{this, resource});
            slot->destroy.notify = &DmabufPlaneFds::handle_params_destroy;
            wl_resource_add_destroy_listener(resource, &slot->destroy);
        }
        return *slot;
    }

    // Closes the fds in slots at or past the plane count: those wlroots
    // never closes.
    static void handle_params_destroy(wl_listener *listener, void *) {
        Params *params = wl_container_of(listener, params, destroy);
        size_t count = 0;
        for (int fd : params->fds) {
            count += fd != -1;
        }
        for (size_t plane = count; plane < params->fds.size(); ++plane) {
            struct stat now;
            const int fd = params->fds[plane];
            const struct stat &then = params->files[plane];
            if (fd != -1 && fstat(fd, &now) == 0 && now.st_dev == then.st_dev &&
                now.st_ino == then.st_ino) {
                close(fd);
            }
        }
        wl_list_remove(&params->destroy.link);
        params->owner->params_.erase(params->resource);
    }

    wl_protocol_logger *logger_;
    std::unordered_map<wl_resource *, std::unique_ptr<Params>> params_;
    Listener<> destroy_;
};

} // namespace

void guard_dmabuf_plane_fds(wlr_linux_dmabuf_v1 *linux_dmabuf, wl_display *display) {
    new DmabufPlaneFds(linux_dmabuf, display);
}

} // namespace fencecam
