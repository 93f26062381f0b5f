#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>

#include "primary_client.hpp"

using namespace fencecam;

namespace {

// Runs `sh -c SCRIPT` as the primary client and dispatches the loop until
// it has been reaped.
std::unique_ptr<PrimaryClient> run_to_exit(wl_event_loop *loop, const std::string &script) {
    bool exited = false;
    std::string error;
    auto client = PrimaryClient::spawn(loop, {"sh", "-c", script}, [&] { exited = true; }, error);
    EXPECT_TRUE(client) << error;
    for (int i = 0; client && !exited && i < 500; ++i) {
        wl_event_loop_dispatch(loop, 20);
    }
    EXPECT_TRUE(exited);
    return client;
}

} // namespace

TEST(PrimaryClient, ShellStyleExitStatus) {
    EXPECT_EQ(exit_status_of(0), 0);
    EXPECT_EQ(exit_status_of(3 << 8), 3);    // exited with 3
    EXPECT_EQ(exit_status_of(SIGSEGV), 139); // killed by SIGSEGV
    EXPECT_EQ(describe_wait_status(3 << 8), "exited with status 3");
    EXPECT_EQ(describe_wait_status(SIGKILL), "was killed by signal 9 (Killed)");
}

TEST(PrimaryClient, ReportsTheExitOfTheRealProcess) {
    wl_event_loop *loop = wl_event_loop_create();
    auto exited = run_to_exit(loop, "exit 3");
    ASSERT_TRUE(exited);
    EXPECT_EQ(exited->exit_status(), 3);
    EXPECT_EQ(exited->describe_exit(), "'sh' exited with status 3");
    auto killed = run_to_exit(loop, "kill -TERM $$");
    ASSERT_TRUE(killed);
    EXPECT_EQ(killed->exit_status(), 128 + SIGTERM);
    exited.reset();
    killed.reset();
    wl_event_loop_destroy(loop);
}

TEST(PrimaryClient, ACommandThatCannotStartIsOneLine) {
    wl_event_loop *loop = wl_event_loop_create();
    std::string error;
    EXPECT_FALSE(PrimaryClient::spawn(loop, {"/nonexistent/app"}, [] {}, error));
    EXPECT_EQ(error, "cannot start '/nonexistent/app': No such file or directory");
    wl_event_loop_destroy(loop);
}

TEST(PrimaryClient, NoProcessOutlivesIt) {
    wl_event_loop *loop = wl_event_loop_create();
    std::string error;
    // A client that ignores SIGTERM still goes, by SIGKILL.
    auto client =
        PrimaryClient::spawn(loop, {"sh", "-c", "trap '' TERM; exec sleep 30"}, [] {}, error);
    ASSERT_TRUE(client) << error;
    EXPECT_FALSE(client->exit_status());
    wl_event_loop_dispatch(loop, 100); // let sh set its trap
    client.reset();
    // Reaped: no child of ours is left, not even a zombie.
    EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    wl_event_loop_destroy(loop);
}
