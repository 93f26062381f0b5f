#include "usbip_loopback.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "unique_fd.hpp"

namespace fencecam::uvc_gadget {

namespace {

constexpr const char *vudc_dir = "/sys/devices/platform/usbip-vudc.0";
constexpr const char *vhci_dir = "/sys/devices/platform/vhci_hcd.0";

std::string errno_text() {
    return std::strerror(errno);
}

// A fresh network namespace (the VM's) has loopback down.
bool bring_loopback_up(std::string &error) {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (!sock || ::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) {
        error = "cannot read the flags of loopback: " + errno_text();
        return false;
    }
    request.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0) {
        error = "cannot bring loopback up: " + errno_text();
        return false;
    }
    return true;
}

// sysfs takes the whole value in one write, and reports refusal there.
bool write_sysfs(const std::string &path, const std::string &value, std::string &error) {
    std::ofstream file(path);
    file << value << std::flush;
    if (!file) {
        error = "writing '" + value + "' to " + path + " failed: " + errno_text();
        return false;
    }
    return true;
}

// vhci's status lists one port a line: "hs  0000 004 ..." is a high-speed
// port (hub, port, state); state 004 (VDEV_ST_NULL) is free. Ports of a
// detached device come back free, so a re-plugged gadget finds one.
int free_high_speed_port(std::string &error) {
    std::ifstream status(std::string(vhci_dir) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream fields(line);
        std::string hub;
        int port = 0;
        int state = 0;
        if (fields >> hub >> port >> state && hub == "hs" && state == 4) {
            return port;
        }
    }
    error = std::string("no free high-speed port in ") + vhci_dir + "/status (is vhci-hcd loaded?)";
    return -1;
}

} // namespace

bool attach_over_loopback(std::string &error) {
    if (!bring_loopback_up(error)) {
        return false;
    }
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr *>(&address), length) != 0 ||
        ::listen(listener.get(), 1) != 0 ||
        ::getsockname(listener.get(), reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        error = "cannot listen on loopback: " + errno_text();
        return false;
    }
    UniqueFd host_end(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!host_end ||
        ::connect(host_end.get(), reinterpret_cast<sockaddr *>(&address), length) != 0) {
        error = "cannot connect on loopback: " + errno_text();
        return false;
    }
    UniqueFd gadget_end(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!gadget_end) {
        error = "cannot accept on loopback: " + errno_text();
        return false;
    }
    if (!write_sysfs(std::string(vudc_dir) + "/usbip_sockfd", std::to_string(gadget_end.get()),
                     error)) {
        if (errno == ENODEV) {
            error += " (the gadget is not pulled up yet)";
        }
        return false;
    }
    int port = free_high_speed_port(error);
    if (port < 0) {
        return false;
    }
    // PORT SOCKFD DEVID SPEED: the device id only names the device in
    // vhci's status (bus 1, device 2 here); 3 is USB_SPEED_HIGH.
    std::string attach = std::to_string(port) + " " + std::to_string(host_end.get()) + " " +
                         std::to_string((1 << 16) | 2) + " 3";
    return write_sysfs(std::string(vhci_dir) + "/attach", attach, error);
}

} // namespace fencecam::uvc_gadget
