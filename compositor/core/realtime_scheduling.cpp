#include "realtime_scheduling.hpp"

#include <cerrno>
#include <cstring>
#include <sched.h>
#include <sys/prctl.h>

namespace fencecam {

std::string raise_to_realtime() {
    // Only fails on kernels older than 3.15, where there is nothing to do.
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    sched_param param{};
    // The lowest real-time priority is enough to run before every normal
    // task, and stays below the kernel's threaded interrupt handlers (50).
    param.sched_priority = sched_get_priority_min(SCHED_RR);
    if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0) {
        return {};
    }
    const int error = errno;
    std::string why = std::string("sched_setscheduler(SCHED_RR): ") + std::strerror(error);
    if (error == EPERM) {
        why += " (it needs CAP_SYS_NICE, or an RLIMIT_RTPRIO of at least 1)";
    }
    return why;
}

} // namespace fencecam
