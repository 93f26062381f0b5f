#include <gtest/gtest.h>

#include "commit_order.hpp"

using namespace fencecam::client;

TEST(CommitOrder, AheadByDefaultWithReleaseFences) {
    const OrderChoice choice = choose_commit_order(std::nullopt, true, "vb2:vivid-0");
    EXPECT_EQ(choice.order, CommitOrder::ahead);
    EXPECT_FALSE(choice.error);
    EXPECT_NE(choice.why.find("vb2:vivid-0"), std::string::npos) << choice.why;
}

TEST(CommitOrder, AfterDqbufWithoutReleaseFencesSaysWhy) {
    const OrderChoice choice = choose_commit_order(std::nullopt, true, std::nullopt);
    EXPECT_EQ(choice.order, CommitOrder::after_dqbuf);
    EXPECT_FALSE(choice.error);
    EXPECT_NE(choice.why.find("no release fences"), std::string::npos) << choice.why;
}

TEST(CommitOrder, AheadRequestedWithoutReleaseFencesIsAnError) {
    const OrderChoice choice = choose_commit_order(true, true, std::nullopt);
    EXPECT_EQ(choice.order, CommitOrder::after_dqbuf);
    EXPECT_TRUE(choice.error);
    EXPECT_NE(choice.why.find("unfinished"), std::string::npos) << choice.why;
}

TEST(CommitOrder, NoAheadAndSyncNoneKeepTheOldOrder) {
    EXPECT_EQ(choose_commit_order(false, true, "vb2:vivid-0").order, CommitOrder::after_dqbuf);
    const OrderChoice none = choose_commit_order(std::nullopt, false, "vb2:vivid-0");
    EXPECT_EQ(none.order, CommitOrder::after_dqbuf);
    EXPECT_FALSE(none.error);
}

TEST(AheadStallBound, OneSecondOrFourPeriodsOfASlowCamera) {
    EXPECT_EQ(ahead_stall_bound_ns(16'666'667), 1'000'000'000);
    EXPECT_EQ(ahead_stall_bound_ns(0), 1'000'000'000);           // rate unknown
    EXPECT_EQ(ahead_stall_bound_ns(500'000'000), 2'000'000'000); // 2 fps
}
