// fencecam: a wlroots compositor that shows a camera with zero copies and
// frames latched only once the kernel's producer has signalled them.
//
// main() parses the options, builds the Server and runs it. Everything a
// person can get wrong ends here as one line on stderr and exit status 1.
// With `-- COMMAND`, fencecam's exit status is COMMAND's (primary_client.hpp).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "camera_description.hpp"
#include "options.hpp"
#include "primary_client.hpp"
#include "realtime_scheduling.hpp"
#include "server.hpp"

namespace {

int fail(const std::string &message) {
    std::fprintf(stderr, "fencecam: %s\n", message.c_str());
    return 1;
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
    if (options.list_cameras) {
        std::fputs(camera_list_text(describe_cameras()).c_str(), stdout);
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

    std::unique_ptr<PrimaryClient> client;
    int status = 0; // COMMAND's, when its exit ended the session
    if (!options.command.empty()) {
        client = PrimaryClient::spawn(
            server->loop, options.command,
            [&] {
                const std::string what = client->describe_exit();
                if (options.keep_running) {
                    std::fprintf(stderr, "fencecam: %s; staying up (--keep-running)\n",
                                 what.c_str());
                    return;
                }
                std::fprintf(stderr, "fencecam: %s; exiting with status %d\n", what.c_str(),
                             *client->exit_status());
                status = *client->exit_status();
                server->terminate();
            },
            error);
        if (!client) {
            return fail(error);
        }
    }

    // After COMMAND started: it would inherit the THP opt-out
    // (realtime_scheduling.hpp).
    if (options.realtime) {
        if (const std::string why = raise_to_realtime(); why.empty()) {
            wlr_log(WLR_INFO, "Compositor thread at SCHED_RR: CPU load does not delay frames");
        } else {
            std::fprintf(stderr,
                         "fencecam: the compositor stays at normal priority, so CPU load can "
                         "delay frames: %s\n",
                         why.c_str());
        }
    }
    server->run();
    std::fprintf(stderr, "fencecam: exiting\n");
    // The session's clients go with the display, COMMAND with them if it
    // is still running; then the status is final.
    server.reset();
    client.reset();
    return status;
}
