// Which format the camera streams, decided again on every dma-buf feedback.
//
// linux-dmabuf v4 tells a client, per surface, what the compositor prefers
// right now: while the window can be scanned out, the primary plane's formats
// come first; while it is composited, only the renderer's. A client that
// picks once at start keeps a format that may now cost the compositor a
// conversion, or keep it from scanning out. So: on each feedback, pick the
// best format again, and restart the camera only if the pick changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fencecam::client {

// The format to stream: the first of `preferred` (the compositor's LINEAR
// formats, most preferred first) that the camera produces (`camera`, any
// order), opaque formats before alpha ones; nothing if they share none.
std::optional<uint32_t> choose_format(const std::vector<uint32_t> &preferred,
                                      const std::vector<uint32_t> &camera);

// The format to switch to after a new feedback, or nothing to keep
// `current`: it is still the best pick, or no format fits at all (the
// buffers in use were imported already, so streaming on is the best left).
std::optional<uint32_t> format_after_feedback(uint32_t current,
                                              const std::vector<uint32_t> &preferred,
                                              const std::vector<uint32_t> &camera);

// "XR24" for DRM_FORMAT_XRGB8888: how DRM and V4L2 tools print a fourcc.
std::string fourcc_name(uint32_t fourcc);

} // namespace fencecam::client
