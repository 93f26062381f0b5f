#include "primary_client.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace fencecam {

int exit_status_of(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        return 128 + WTERMSIG(wait_status);
    }
    return WEXITSTATUS(wait_status);
}

std::string describe_wait_status(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        const int number = WTERMSIG(wait_status);
        return "was killed by signal " + std::to_string(number) + " (" + strsignal(number) + ")";
    }
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
}

std::unique_ptr<PrimaryClient> PrimaryClient::spawn(wl_event_loop *loop,
                                                    const std::vector<std::string> &command,
                                                    std::function<void()> on_exit,
                                                    std::string &error) {
    std::unique_ptr<PrimaryClient> client(new PrimaryClient(command[0]));
    client->on_exit_ = std::move(on_exit);
    // Watched before the child exists: a SIGCHLD that came first would be
    // discarded (its default action) and the exit never seen.
    client->sigchld_ =
        EventSource::signal(loop, SIGCHLD, [c = client.get()] { c->handle_sigchld(); });

    std::vector<char *> argv;
    for (const auto &arg : command) {
        argv.push_back(const_cast<char *>(arg.c_str()));
    }
    argv.push_back(nullptr);
    // The event loop blocks the signals it reads through a signalfd
    // (SIGINT, SIGTERM, SIGCHLD...); a child would inherit that mask and
    // could not be stopped with Ctrl-C or kill.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    int err = posix_spawnp(&client->pid_, argv[0], nullptr, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
        error = "cannot start '" + command[0] + "': " + std::strerror(err);
        return nullptr;
    }
    return client;
}

// One SIGCHLD may stand for several children, and COMMAND may have started
// others of ours (none today, but a zombie is never left): reap them all.
void PrimaryClient::handle_sigchld() {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == pid_ && !wait_status_) {
            wait_status_ = status;
            on_exit_();
        }
    }
}

std::optional<int> PrimaryClient::exit_status() const {
    return wait_status_ ? std::optional(exit_status_of(*wait_status_)) : std::nullopt;
}

std::string PrimaryClient::describe_exit() const {
    return "'" + name_ + "' " + describe_wait_status(wait_status_.value_or(0));
}

PrimaryClient::~PrimaryClient() {
    if (pid_ <= 0 || wait_status_) {
        return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        return;
    }
    kill(pid_, SIGTERM);
    const timespec step{0, 20'000'000};
    for (int i = 0; i < 100; ++i) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            return;
        }
        nanosleep(&step, nullptr);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
}

} // namespace fencecam
