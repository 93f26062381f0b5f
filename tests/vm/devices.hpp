// Finding the test VM's devices by driver name. Device numbers follow module
// load and probe order, so nothing here assumes one (tools/vm-guest/lib.sh
// does the same in shell and exports the results as FENCECAM_* variables).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>

#include "unique_fd.hpp"

namespace fencecam::vm {

enum class DrmNode { Card, Render };

// The /dev/dri node of the DRM device called `name`. On 7.2, vkms and vgem are
// faux devices whose driver is "faux_driver": the device itself carries the
// name. A virtio GPU's DRM device is the PCI device (driver virtio-pci); the
// virtio_gpu driver is bound to its virtio child.
inline std::optional<std::string> find_drm_node(std::string_view name, DrmNode kind) {
    namespace fs = std::filesystem;
    const std::string_view prefix = kind == DrmNode::Card ? "card" : "renderD";
    auto named = [&](const fs::path &device) {
        std::error_code error;
        return device.filename() == name ||
               fs::canonical(device / "driver", error).filename() == name;
    };
    std::error_code error;
    for (const auto &entry : fs::directory_iterator("/sys/class/drm", error)) {
        const std::string node = entry.path().filename();
        // Connectors (card0-Virtual-1) live here too.
        if (!node.starts_with(prefix) || node.find('-') != std::string::npos) {
            continue;
        }
        const fs::path device = fs::canonical(entry.path() / "device", error);
        if (error) {
            continue;
        }
        bool match = named(device);
        for (const auto &child : fs::directory_iterator(device, error)) {
            match = match ||
                    (child.path().filename().string().starts_with("virtio") && named(child.path()));
        }
        if (match) {
            return "/dev/dri/" + node;
        }
    }
    return std::nullopt;
}

// The first /dev/videoN whose driver (VIDIOC_QUERYCAP) is `driver` and that
// captures video.
inline std::optional<std::string> find_video_capture(std::string_view driver) {
    namespace fs = std::filesystem;
    std::error_code error;
    for (const auto &entry : fs::directory_iterator("/dev", error)) {
        const std::string path = entry.path();
        if (!entry.path().filename().string().starts_with("video")) {
            continue;
        }
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        v4l2_capability caps{};
        if (!fd || ::ioctl(fd.get(), VIDIOC_QUERYCAP, &caps) != 0) {
            continue;
        }
        const auto node_caps =
            caps.capabilities & V4L2_CAP_DEVICE_CAPS ? caps.device_caps : caps.capabilities;
        if (reinterpret_cast<const char *>(caps.driver) == driver &&
            (node_caps & V4L2_CAP_VIDEO_CAPTURE)) {
            return path;
        }
    }
    return std::nullopt;
}

} // namespace fencecam::vm
