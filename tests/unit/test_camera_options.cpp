#include <gtest/gtest.h>

#include <vector>

#include "camera_options.hpp"

using namespace fencecam::client;

namespace {

ParseResult parse(std::vector<const char *> args) {
    args.insert(args.begin(), "fencecam-camera");
    return parse_options(args);
}

} // namespace

TEST(CameraOptions, Defaults) {
    auto result = parse({});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_TRUE(result.options.device.empty());
    EXPECT_EQ(result.options.sync, SyncMode::explicit_sync);
    EXPECT_FALSE(result.options.ahead);
    EXPECT_FALSE(result.options.verbose);
}

TEST(CameraOptions, SameNamesAsTheCompositor) {
    auto result = parse({"--camera=/dev/video2", "--sync", "implicit", "-Vd"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_EQ(result.options.device, "/dev/video2");
    EXPECT_EQ(result.options.sync, SyncMode::implicit_sync);
    EXPECT_TRUE(result.options.verbose);
    EXPECT_TRUE(result.options.debug);
    EXPECT_TRUE(parse({"-v"}).options.version);
    EXPECT_FALSE(parse({"-v"}).options.verbose);
}

TEST(CameraOptions, AheadEitherWay) {
    EXPECT_EQ(parse({"--ahead"}).options.ahead, true);
    EXPECT_EQ(parse({"--no-ahead"}).options.ahead, false);
    EXPECT_EQ(parse({"--ahead", "--sync", "none"}).error,
              "--ahead needs --sync explicit or implicit: with none nothing would keep an "
              "unfinished frame off the screen");
}

TEST(CameraOptions, NumbersAreChecked) {
    EXPECT_EQ(parse({"--frames", "300"}).options.frames, 300);
    EXPECT_EQ(parse({"--seconds=5"}).options.seconds, 5);
    for (const char *bad : {"0", "-3", "5s", "", "1e3"}) {
        EXPECT_EQ(parse({"--seconds", bad}).error,
                  std::string("bad --seconds '") + bad + "': expected a positive whole number")
            << bad;
    }
}

TEST(CameraOptions, MistakesAreOneLine) {
    EXPECT_EQ(parse({"--device", "/dev/video0"}).error, "unknown option '--device' (try --help)");
    EXPECT_EQ(parse({"--sync", "maybe"}).error,
              "bad --sync 'maybe': expected explicit, implicit or none");
    EXPECT_EQ(parse({"--frames"}).error, "option --frames needs a value (try --help)");
    EXPECT_EQ(parse({"stray"}).error, "unexpected argument 'stray' (try --help)");
}

TEST(CameraOptions, HelpNamesEveryOption) {
    const std::string text = usage();
    for (const char *expected :
         {"--camera CAMERA", "--list-cameras", "--sync MODE", "--ahead", "--no-ahead", "--frames N",
          "--seconds N", "-V, --verbose", "-d, --debug", "-v, --version"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << expected;
    }
}

TEST(CameraOptions, ListCameras) {
    EXPECT_TRUE(parse({"--list-cameras"}).options.list_cameras);
    EXPECT_FALSE(parse({}).options.list_cameras);
}
