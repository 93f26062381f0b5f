// The Wayland globals fencecam offers clients, in one place, so that the
// answer to "does fencecam support protocol X" is one file.
#pragma once

namespace fencecam {

class Server;

void create_protocols(Server &server);

} // namespace fencecam
