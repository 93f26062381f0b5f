#include "camera_lookup.hpp"

#include <algorithm>
#include <cctype>

namespace fencecam {

namespace {

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

} // namespace

std::string camera_names(const std::vector<CameraDescription> &cameras) {
    std::string names;
    for (const CameraDescription &camera : cameras) {
        names += (names.empty() ? "" : ", ") + camera.path + " (" + camera.card + ")";
    }
    return names.empty() ? "none" : names;
}

bool names_a_path(const std::string &wanted) {
    return wanted.find('/') != std::string::npos;
}

CameraLookup find_camera(const std::string &wanted, const std::vector<CameraDescription> &cameras) {
    if (names_a_path(wanted)) {
        return {wanted, ""};
    }
    std::vector<CameraDescription> matches;
    for (const CameraDescription &camera : cameras) {
        if (!wanted.empty() &&
            lowercase(camera.card).find(lowercase(wanted)) != std::string::npos) {
            matches.push_back(camera);
        }
    }
    if (matches.size() == 1) {
        return {matches.front().path, ""};
    }
    if (matches.empty()) {
        return {"", "no camera is named like '" + wanted + "' (cameras: " + camera_names(cameras) +
                        "); give a path or a part of a name (--list-cameras)"};
    }
    return {"", "'" + wanted + "' names several cameras (" + camera_names(matches) +
                    "); give a path or a longer part of a name (--list-cameras)"};
}

} // namespace fencecam
