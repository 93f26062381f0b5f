// The compositor's thread above CPU load: SCHED_RR at the lowest real-time
// priority, as sway, KWin and Mutter ask for theirs.
//
// A frame is shown at the compositor's next wake-up after its fence
// signalled. Under CPU load a normal-priority compositor waits for a time
// slice like everything else, so every client pays for the load even when it
// committed its frame long before (ahead of completion). Above the load, only
// the clients that commit late pay for it.
#pragma once

#include <string>

namespace fencecam {

// Moves the calling thread to SCHED_RR. SCHED_RESET_ON_FORK keeps it
// to this thread: threads and processes started later (the renderer's, the
// session's clients) run at normal priority. Returns an empty string, or why
// the thread stays at normal priority.
std::string raise_to_realtime();

} // namespace fencecam
