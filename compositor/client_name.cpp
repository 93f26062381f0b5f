#include "client_name.hpp"

#include <fstream>

#include <sys/types.h>
#include <wayland-server-core.h>

namespace fencecam {

std::string describe_client(wl_client *client) {
    pid_t pid = 0;
    wl_client_get_credentials(client, &pid, nullptr, nullptr);
    // The kernel's short command name; the pid alone is enough if it is gone.
    std::string name;
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::getline(comm, name);
    return (name.empty() ? std::string("client") : name) + " (pid " + std::to_string(pid) + ")";
}

} // namespace fencecam
