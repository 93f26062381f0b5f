// fencecam: a wlroots compositor that shows a camera with zero copies and
// frames latched only once the kernel's producer has signalled them.
//
// main() parses the options, builds the Server and runs it. Everything a
// person can get wrong ends here as one line on stderr and exit status 1.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <csignal>
#include <spawn.h>
#include <sys/wait.h>

#include "event_source.hpp"
#include "options.hpp"
#include "server.hpp"

extern char **environ;

namespace {

int fail(const std::string &message) {
    std::fprintf(stderr, "fencecam: %s\n", message.c_str());
    return 1;
}

// Starts COMMAND with WAYLAND_DISPLAY pointing at us. Its exit is reaped from
// the event loop, so it never lingers as a zombie.
bool spawn_client(const std::vector<std::string> &command) {
    std::vector<char *> argv;
    for (const auto &arg : command) {
        argv.push_back(const_cast<char *>(arg.c_str()));
    }
    argv.push_back(nullptr);
    // The event loop blocks the signals it reads through a signalfd
    // (SIGINT, SIGTERM, SIGCHLD); a child would inherit that mask and could
    // not be stopped with Ctrl-C or kill.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
        std::fprintf(stderr, "fencecam: cannot start '%s': %s\n", argv[0], std::strerror(err));
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv) {
    using namespace fencecam;
    ParseResult parsed = parse_options({argv, static_cast<size_t>(argc)});
    if (!parsed.error.empty()) {
        return fail(parsed.error);
    }
    const Options &options = parsed.options;
    if (options.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    if (options.version) {
        std::printf("fencecam %s (wlroots %s)\n", FENCECAM_VERSION, WLR_VERSION_STR);
        return 0;
    }

    wlr_log_init(static_cast<wlr_log_importance>(options.log_level), nullptr);

    std::string error;
    std::unique_ptr<Server> server = Server::create(options, error);
    if (!server) {
        return fail(error);
    }
    setenv("WAYLAND_DISPLAY", server->socket_name().c_str(), 1);
    std::fprintf(stderr, "fencecam: running on WAYLAND_DISPLAY=%s\n",
                 server->socket_name().c_str());

    EventSource reap_children = EventSource::signal(server->loop, SIGCHLD, [] {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    });
    if (!options.command.empty() && !spawn_client(options.command)) {
        return 1;
    }

    server->run();
    std::fprintf(stderr, "fencecam: exiting\n");
    return 0;
}
