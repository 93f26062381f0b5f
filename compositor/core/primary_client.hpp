// The client started with `fencecam -- COMMAND`: a kiosk's application.
//
// fencecam lives as long as it does, and ends with its exit status (128 + N
// when signal N killed it, as shells report it), so that a service manager
// sees the application fail and can restart the session (`Restart=` in a
// systemd unit). --keep-running keeps fencecam up for other clients instead.
// Either way one line says what happened to it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "event_source.hpp"
#include "unique_fd.hpp"

namespace fencecam {

// The exit status a shell would give for a waitpid() status.
int exit_status_of(int wait_status);
// "exited with status 3", "was killed by signal 11 (Segmentation fault)".
std::string describe_wait_status(int wait_status);

class PrimaryClient {
  public:
    // Starts COMMAND (with the caller's environment, WAYLAND_DISPLAY
    // included). `on_exit` runs from the event loop once it has been reaped.
    // nullptr and `error` set when it cannot be started.
    static std::unique_ptr<PrimaryClient> spawn(wl_event_loop *loop,
                                                const std::vector<std::string> &command,
                                                std::function<void()> on_exit, std::string &error);
    // Still running: SIGTERM, then SIGKILL if it has not gone within two
    // seconds. No process outlives the session.
    ~PrimaryClient();
    PrimaryClient(const PrimaryClient &) = delete;
    PrimaryClient &operator=(const PrimaryClient &) = delete;

    // The shell-style exit status, once it has exited.
    std::optional<int> exit_status() const;
    // "'COMMAND' exited with status 3", once it has exited.
    std::string describe_exit() const;

  private:
    explicit PrimaryClient(std::string name)
        : name_(std::move(name)) {}
    void handle_exit();

    pid_t pid_ = 0;
    std::string name_;
    std::optional<int> wait_status_;
    std::function<void()> on_exit_;
    UniqueFd pidfd_;
    EventSource exit_watch_;
};

} // namespace fencecam
