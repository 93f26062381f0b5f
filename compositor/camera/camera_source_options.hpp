// What the user chose for the built-in camera (the core's option parser
// fills it in; CameraSource reads it).
#pragma once

#include <string>

namespace fencecam {

enum class SyncChoice { automatic, fence, dqbuf };

struct CameraOptions {
    // A path, a /dev/v4l/by-id path or part of a camera's name
    // (camera_lookup.hpp); empty: the first capture device found.
    std::string device;
    bool enabled = true; // --no-camera turns the built-in camera off
    SyncChoice sync = SyncChoice::automatic;
    int fence_timeout_ms = 0; // 0: four periods of the camera's real rate, >= 250 ms
    int width = 0;            // 0: the output's size, for direct scanout
    int height = 0;
    int fps = 0; // 0: the highest the camera offers at the size picked
};

} // namespace fencecam
