// Which camera --camera means. People name a camera the way they know it:
// a device node (/dev/video2), a stable udev link (/dev/v4l/by-id/...,
// which survives a re-plug that renumbers the node), or the name it shows
// in every camera menu ("C920", "gadget"): a part of VIDIOC_QUERYCAP's card
// name, case-insensitive.
#pragma once

#include <string>
#include <vector>

#include "camera_description.hpp"

namespace fencecam {

struct CameraLookup {
    std::string path;  // what to open; empty when `error` says why not
    std::string error; // one line that lists the cameras there are
};

// Whether `wanted` is a path (has a '/'), to be opened as it is.
bool names_a_path(const std::string &wanted);

// `wanted` with a '/' is a path, taken as it is (it may be a camera not
// plugged in yet: opening it says so); anything else is matched against the
// cards of `cameras` and must match exactly one.
CameraLookup find_camera(const std::string &wanted, const std::vector<CameraDescription> &cameras);

// "/dev/video0 (vivid), /dev/video2 (HD Webcam C920)", or "none".
std::string camera_names(const std::vector<CameraDescription> &cameras);

} // namespace fencecam
