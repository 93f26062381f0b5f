#include <gtest/gtest.h>

#include <fcntl.h>

#include "unique_fd.hpp"

using fencecam::UniqueFd;

namespace {

bool is_open(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}

} // namespace

TEST(UniqueFd, ClosesOnScopeExit) {
    int raw;
    {
        UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
        raw = fd.get();
        ASSERT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
    UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    int raw = fd.release();
    EXPECT_FALSE(fd);
    fd.reset();
    EXPECT_TRUE(is_open(raw));
    close(raw);
}

TEST(UniqueFd, MoveTransfersAndClosesThePrevious) {
    UniqueFd a(open("/dev/null", O_RDONLY | O_CLOEXEC));
    UniqueFd b(open("/dev/null", O_RDONLY | O_CLOEXEC));
    int old_b = b.get();
    int raw_a = a.get();
    b = std::move(a);
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), raw_a);
    EXPECT_FALSE(is_open(old_b));
}
