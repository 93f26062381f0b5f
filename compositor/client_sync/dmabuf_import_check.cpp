#include "dmabuf_import_check.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "client_name.hpp"
#include "dmabuf_layout.hpp"
#include "linux-dmabuf-v1-protocol.h"
#include "listener.hpp"

namespace fencecam {

namespace {

// A wlr_buffer that lends the renderer the client's dma-buf for one import
// attempt. It owns nothing: the fds stay wlroots'.
struct BorrowedDmabuf {
    wlr_buffer base;
    const wlr_dmabuf_attributes *attributes;

    static bool get_dmabuf(wlr_buffer *buffer, wlr_dmabuf_attributes *out) {
        *out = *reinterpret_cast<BorrowedDmabuf *>(buffer)->attributes;
        return true;
    }
    static void destroy(wlr_buffer *buffer) { wlr_buffer_finish(buffer); }
    static constexpr wlr_buffer_impl impl = {
        .destroy = destroy,
        .get_dmabuf = get_dmabuf,
        .get_shm = nullptr,
        .begin_data_ptr_access = nullptr,
        .end_data_ptr_access = nullptr,
    };
};

bool renderer_imports(wlr_renderer *renderer, const wlr_dmabuf_attributes &attributes) {
    BorrowedDmabuf borrowed{{}, &attributes};
    wlr_buffer_init(&borrowed.base, &BorrowedDmabuf::impl, attributes.width, attributes.height);
    wlr_texture *texture = wlr_texture_from_buffer(renderer, &borrowed.base);
    if (texture) {
        wlr_texture_destroy(texture);
    }
    // Unlocked, so this destroys it, and with it the renderer's cached import.
    wlr_buffer_drop(&borrowed.base);
    return texture != nullptr;
}

DmabufLayout layout_of(const wlr_dmabuf_attributes &attributes) {
    DmabufLayout layout;
    layout.format = attributes.format;
    layout.modifier = attributes.modifier;
    layout.width = attributes.width;
    layout.height = attributes.height;
    for (int i = 0; i < attributes.n_planes; ++i) {
        // A dma-buf's size is where SEEK_END lands; other fds say -1 or 0.
        const off_t size = lseek(attributes.fd[i], 0, SEEK_END);
        layout.planes.push_back({attributes.offset[i], attributes.stride[i], size});
    }
    return layout;
}

bool has_read_only_plane(const wlr_dmabuf_attributes &attributes) {
    for (int i = 0; i < attributes.n_planes; ++i) {
        if ((fcntl(attributes.fd[i], F_GETFL) & O_ACCMODE) == O_RDONLY) {
            return true;
        }
    }
    return false;
}

class DmabufImportCheck {
  public:
    DmabufImportCheck(wlr_linux_dmabuf_v1 *linux_dmabuf, wl_display *display,
                      wlr_renderer *renderer, const BufferSizeLimit &size_limit)
        : renderer_(renderer)
        , size_limit_(size_limit)
        , logger_(wl_display_add_protocol_logger(display, &DmabufImportCheck::log_request, this)) {
        wlr_linux_dmabuf_v1_set_check_dmabuf_callback(linux_dmabuf, &DmabufImportCheck::check,
                                                      this);
        destroy_.connect(&linux_dmabuf->events.destroy, this, &DmabufImportCheck::handle_destroy);
    }
    ~DmabufImportCheck() { wl_protocol_logger_destroy(logger_); }
    DmabufImportCheck(const DmabufImportCheck &) = delete;
    DmabufImportCheck &operator=(const DmabufImportCheck &) = delete;

  private:
    void handle_destroy() { delete this; }

    // zwp_linux_buffer_params_v1 requests: destroy, add, create, create_immed.
    static constexpr int opcode_create = 2;
    static constexpr int opcode_create_immed = 3;

    // Runs for every request and event: keep it to a few comparisons.
    static void log_request(void *data, wl_protocol_logger_type type,
                            const wl_protocol_logger_message *message) {
        if (type != WL_PROTOCOL_LOGGER_REQUEST) {
            return;
        }
        auto *self = static_cast<DmabufImportCheck *>(data);
        const bool creates = message->message_opcode >= opcode_create &&
                             std::strcmp(wl_resource_get_class(message->resource),
                                         "zwp_linux_buffer_params_v1") == 0;
        self->params_ = creates ? message->resource : nullptr;
        self->immediate_ = message->message_opcode == opcode_create_immed;
    }

    static bool check(wlr_dmabuf_attributes *attributes, void *data) {
        return static_cast<DmabufImportCheck *>(data)->check(*attributes);
    }

    bool check(const wlr_dmabuf_attributes &attributes) {
        if (attributes.width > size_limit_.width || attributes.height > size_limit_.height) {
            return reject(
                ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
                std::to_string(attributes.width) + "x" + std::to_string(attributes.height) +
                    " is larger than " + std::to_string(size_limit_.width) + "x" +
                    std::to_string(size_limit_.height) +
                    ", the largest buffer this compositor can show (" + size_limit_.why + ")");
        }
        const wlr_drm_format_set *formats =
            wlr_renderer_get_texture_formats(renderer_, WLR_BUFFER_CAP_DMABUF);
        if (!formats || !wlr_drm_format_set_has(formats, attributes.format, attributes.modifier)) {
            return reject(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                          "format " + fourcc_name(attributes.format) + " with modifier " +
                              modifier_text(attributes.modifier) +
                              " is not one the renderer can sample (see the dma-buf feedback)");
        }
        if (const auto problem = check_dmabuf_layout(layout_of(attributes))) {
            return reject(problem->kind == LayoutProblem::Kind::plane_count
                              ? ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE
                              : ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
                          problem->what);
        }
        if (!renderer_imports(renderer_, attributes)) {
            // Not an obvious client bug: "failed" for create, and wlroots
            // ends a create_immed client itself.
            log_rejection("the renderer could not import it (is every fd a dma-buf?)");
            return false;
        }
        if (has_read_only_plane(attributes)) {
            wlr_log(WLR_INFO,
                    "%s shares a read-only %s dma-buf: a software renderer shows it by direct "
                    "scanout, or else through a CPU copy",
                    client_text().c_str(), fourcc_name(attributes.format).c_str());
        }
        return true;
    }

    // A fatal protocol error on the params object. wlroots then reports the
    // failure too; libwayland keeps only a client's first error, ours.
    bool reject(uint32_t code, const std::string &why) {
        log_rejection(why);
        if (params_) {
            wl_resource_post_error(params_, code, "dma-buf rejected: %s", why.c_str());
        }
        return false;
    }

    void log_rejection(const std::string &why) {
        wlr_log(WLR_ERROR, "%s: dma-buf %s rejected: %s", client_text().c_str(),
                immediate_ ? "wl_buffer" : "import", why.c_str());
    }

    std::string client_text() const {
        return params_ ? describe_client(wl_resource_get_client(params_)) : "a client";
    }

    static std::string modifier_text(uint64_t modifier) {
        char text[24];
        std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(modifier));
        return text;
    }

    wlr_renderer *renderer_;
    BufferSizeLimit size_limit_;
    wl_protocol_logger *logger_;
    wl_resource *params_ = nullptr;
    bool immediate_ = false;
    Listener<> destroy_;
};

} // namespace

void set_dmabuf_import_check(wlr_linux_dmabuf_v1 *linux_dmabuf, wl_display *display,
                             wlr_renderer *renderer, const BufferSizeLimit &size_limit) {
    wlr_log(WLR_INFO, "client dma-bufs up to %dx%d (%s)", size_limit.width, size_limit.height,
            size_limit.why.c_str());
    new DmabufImportCheck(linux_dmabuf, display, renderer, size_limit);
}

} // namespace fencecam
