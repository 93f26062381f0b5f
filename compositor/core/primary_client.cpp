#include "primary_client.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

    std::vector<char *> argv;
    for (const auto &arg : command) {
        argv.push_back(const_cast<char *>(arg.c_str()));
    }
    argv.push_back(nullptr);
    // The event loop blocks the signals it reads through a signalfd
    // (SIGINT, SIGTERM...); a child would inherit that mask and could not be
    // stopped with Ctrl-C or kill.
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
    // A pidfd becomes readable when this one child exits. SIGCHLD would
    // stand for any child and go to whichever watcher reads it first. The
    // child stays a zombie until reaped here, so even one that has exited
    // already gets its pidfd.
    // (The raw system call: glibc's <sys/pidfd.h> declares pidfd_open
    // without C linkage for C++ in some releases.)
    client->pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, client->pid_, 0)));
    if (!client->pidfd_) {
        error = "cannot watch '" + command[0] + "': pidfd_open: " + std::strerror(errno);
        return nullptr; // the destructor stops it
    }
    client->exit_watch_ = EventSource::fd(loop, client->pidfd_.get(), WL_EVENT_READABLE,
                                          [c = client.get()](uint32_t) { c->handle_exit(); });
    return client;
}

void PrimaryClient::handle_exit() {
    int status;
    if (waitpid(pid_, &status, WNOHANG) != pid_) {
        return;
    }
    wait_status_ = status;
    exit_watch_.reset(); // an exited process's pidfd stays readable
    on_exit_();
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
