// Plugging a USB gadget into the same machine's USB host side, with no
// daemon: usbip-vudc (the gadget's UDC) and vhci-hcd (a virtual host
// controller) talk the usbip protocol over a connected TCP socket pair on
// loopback, one end handed to each driver through sysfs.
#pragma once

#include <string>

namespace fencecam::uvc_gadget {

// Attaches the gadget on usbip-vudc.0 to a free high-speed port of
// vhci_hcd.0. The gadget must already be pulled up (for a UVC function:
// someone subscribed to its events); until then vudc refuses the socket with
// ENODEV. Both drivers keep their socket: ours may be closed afterwards.
// False, with a line in `error`, when something refused.
bool attach_over_loopback(std::string &error);

} // namespace fencecam::uvc_gadget
