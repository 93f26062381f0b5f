// "weston-simple-dm (pid 412)": how fencecam names a Wayland client in a log
// line, so that a person can tell which program was refused and why.
#pragma once

#include <string>

struct wl_client;

namespace fencecam {

std::string describe_client(wl_client *client);

} // namespace fencecam
