#include "client_name.hpp"

#include <fstream>
#include <iterator>

#include <sys/types.h>
#include <wayland-server-core.h>

namespace fencecam {

std::string describe_client(wl_client *client) {
    pid_t pid = 0;
    wl_client_get_credentials(client, &pid, nullptr, nullptr);
    // The kernel's short command name; the pid alone is enough if it is gone.
    // It is the executable's file name, which may hold a newline itself:
    // only the last one is the kernel's.
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name{std::istreambuf_iterator<char>(comm), std::istreambuf_iterator<char>()};
    if (name.ends_with('\n')) {
        name.pop_back();
    }
    return (name.empty() ? std::string("client") : name) + " (pid " + std::to_string(pid) + ")";
}

} // namespace fencecam
