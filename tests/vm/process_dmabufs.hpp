// Another process's camera buffers, taken from outside it: copies of the
// dma-bufs it holds that videobuf2 exported (pidfd_getfd), one per buffer.
// A test holding them can add fences to them or read their fences without
// any help from that process.
#pragma once

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "unique_fd.hpp"

namespace fencecam::vm {

// The exporter's name of a dma-buf fd, from its fdinfo ("videobuf2..." for
// camera buffers).
inline std::string exporter_of(const std::string &fdinfo) {
    std::ifstream info(fdinfo);
    std::string line;
    while (std::getline(info, line)) {
        if (line.starts_with("exp_name:")) {
            const auto value = line.find_first_not_of(" \t", 9);
            return value == std::string::npos ? "" : line.substr(value);
        }
    }
    return "";
}

inline std::vector<UniqueFd> camera_dmabufs(pid_t pid) {
    std::vector<UniqueFd> copies;
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        return copies;
    }
    std::set<ino_t> seen;
    const std::string proc = "/proc/" + std::to_string(pid);
    std::error_code error;
    for (const auto &entry : std::filesystem::directory_iterator(proc + "/fd", error)) {
        const std::string fd = entry.path().filename();
        if (!exporter_of(proc + "/fdinfo/" + fd).starts_with("videobuf2")) {
            continue;
        }
        UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), std::stoi(fd), 0)));
        struct stat status{};
        if (copy && ::fstat(copy.get(), &status) == 0 && seen.insert(status.st_ino).second) {
            copies.push_back(std::move(copy));
        }
    }
    return copies;
}

} // namespace fencecam::vm
