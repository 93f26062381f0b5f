// The compositor's thread above CPU load: SCHED_RR at the lowest real-time
// priority, as sway, KWin and Mutter ask for theirs.
//
// A frame is shown at the compositor's next wake-up after its fence
// signalled. Under CPU load a normal-priority compositor waits for a time
// slice like everything else, so every client pays for the load even when it
// committed its frame long before (ahead of completion). Above the load, only
// the clients that commit late pay for it.
//
// A real-time thread still waits for whoever holds a lock it needs, at that
// holder's priority. The one every page fault needs is the process's mmap
// lock, and khugepaged (nice 19) holds it for writing while it collapses the
// process's pages into huge pages: under load it is preempted there, and the
// compositor stalled 0.5 to 0.8 s at a page fault in the test VM. So the
// process also leaves transparent huge pages, which keeps khugepaged out.
#pragma once

#include <string>

namespace fencecam {

// Moves the calling thread to SCHED_RR and takes the process out of
// transparent huge pages. SCHED_RESET_ON_FORK keeps the priority to this
// thread: threads and processes started later (the renderer's, a client's)
// run at normal priority; the THP opt-out is inherited, so call this after
// starting COMMAND. Returns an empty string, or why the thread stays at
// normal priority.
std::string raise_to_realtime();

} // namespace fencecam
