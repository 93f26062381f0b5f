#include <gtest/gtest.h>

#include <vector>

#include "options.hpp"

using fencecam::parse_mode;
using fencecam::parse_options;

namespace {

fencecam::ParseResult parse(std::vector<const char *> args) {
    args.insert(args.begin(), "fencecam");
    return parse_options(args);
}

} // namespace

TEST(Options, DefaultsWithoutArguments) {
    auto result = parse({});
    EXPECT_TRUE(result.error.empty());
    EXPECT_FALSE(result.options.mode);
    EXPECT_TRUE(result.options.socket.empty());
    EXPECT_TRUE(result.options.command.empty());
}

TEST(Options, ModeWithAndWithoutRefresh) {
    auto mode = parse_mode("1280x720");
    ASSERT_TRUE(mode);
    EXPECT_EQ(mode->width, 1280);
    EXPECT_EQ(mode->height, 720);
    EXPECT_EQ(mode->refresh_mhz, 0);

    mode = parse_mode("640x480@59.94");
    ASSERT_TRUE(mode);
    EXPECT_EQ(mode->refresh_mhz, 59940);
}

TEST(Options, BadModesAreRejected) {
    for (const char *bad : {"", "x", "640", "640x", "x480", "640x480@", "640x480@abc", "-640x480",
                            "640x480@-60", "640y480", "640x480x2"}) {
        EXPECT_FALSE(parse_mode(bad)) << bad;
    }
}

TEST(Options, BadModeErrorNamesTheValue) {
    auto result = parse({"--mode", "huge"});
    EXPECT_NE(result.error.find("'huge'"), std::string::npos) << result.error;
}

TEST(Options, UnknownOptionIsOneActionableLine) {
    auto result = parse({"--frobnicate"});
    EXPECT_EQ(result.error, "unknown option '--frobnicate' (try --help)");
    EXPECT_EQ(result.error.find('\n'), std::string::npos);
}

TEST(Options, MissingValueIsReported) {
    auto result = parse({"--socket"});
    EXPECT_NE(result.error.find("needs a value"), std::string::npos);
}

TEST(Options, CommandAfterDoubleDash) {
    auto result = parse({"--socket", "s", "--", "weston-simple-shm", "--help"});
    ASSERT_TRUE(result.error.empty());
    EXPECT_EQ(result.options.socket, "s");
    ASSERT_EQ(result.options.command.size(), 2u);
    EXPECT_EQ(result.options.command[0], "weston-simple-shm");
    EXPECT_EQ(result.options.command[1], "--help");
}

TEST(Options, VerbosityLevels) {
    EXPECT_EQ(parse({}).options.log_level, 1);
    EXPECT_EQ(parse({"-V"}).options.log_level, 2);
    EXPECT_EQ(parse({"--verbose"}).options.log_level, 2);
    EXPECT_EQ(parse({"--debug"}).options.log_level, 3);
    // The more talkative one wins, whatever the order.
    EXPECT_EQ(parse({"-d", "-V"}).options.log_level, 3);
}

TEST(Options, VersionIsLowerCaseV) {
    EXPECT_TRUE(parse({"-v"}).options.version);
    EXPECT_TRUE(parse({"--version"}).options.version);
    EXPECT_EQ(parse({"-v"}).options.log_level, 1);
}

TEST(Options, ShortOptionsBundle) {
    auto result = parse({"-Vd"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_EQ(result.options.log_level, 3);
    result = parse({"-vh"});
    EXPECT_TRUE(result.options.version);
    EXPECT_TRUE(result.options.help);
}

TEST(Options, ValuesAfterAnEqualsSign) {
    auto result = parse({"--camera=/dev/video0", "--fps=30", "--mode=640x480@60"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_EQ(result.options.camera.device, "/dev/video0");
    EXPECT_EQ(result.options.camera.fps, 30);
    ASSERT_TRUE(result.options.mode);
    EXPECT_EQ(result.options.mode->refresh_mhz, 60000);
}

TEST(Options, UnknownShortOptionAndStrayValue) {
    EXPECT_EQ(parse({"-x"}).error, "unknown option '-x' (try --help)");
    EXPECT_EQ(parse({"--hud=yes"}).error, "option --hud takes no value (try --help)");
}

TEST(Options, ParsingTwiceStartsAfresh) {
    // getopt keeps its position in globals: a second parse must not carry
    // on from where the first one stopped.
    ASSERT_EQ(parse({"--socket", "a", "--", "true"}).options.command.size(), 1u);
    auto again = parse({"--socket", "b"});
    EXPECT_EQ(again.options.socket, "b");
    EXPECT_TRUE(again.options.command.empty());
}

TEST(Options, CommandWithoutDoubleDash) {
    // The first word that is not an option starts COMMAND; its own options
    // stay its own.
    auto result = parse({"--no-camera", "weston-terminal", "--fullscreen"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_FALSE(result.options.camera.enabled);
    ASSERT_EQ(result.options.command.size(), 2u);
    EXPECT_EQ(result.options.command[1], "--fullscreen");
}

TEST(Options, QuitKeyAndKeepRunning) {
    EXPECT_TRUE(parse({}).options.quit_key);
    EXPECT_FALSE(parse({"--no-quit-key"}).options.quit_key);
    EXPECT_FALSE(parse({"--", "true"}).options.keep_running);
    EXPECT_TRUE(parse({"--keep-running", "--", "true"}).options.keep_running);
    EXPECT_EQ(parse({"--keep-running"}).error,
              "--keep-running needs a COMMAND: it says what to do when COMMAND exits");
}

TEST(Options, RealtimeUnlessTurnedOff) {
    EXPECT_TRUE(parse({}).options.realtime);
    EXPECT_FALSE(parse({"--no-realtime"}).options.realtime);
}

TEST(Options, HelpNamesTheKeysAndOptions) {
    const std::string text = fencecam::usage();
    for (const char *expected :
         {"Ctrl+Alt+BackSpace", "Ctrl+Alt+H", "Ctrl+Alt+F1..F12", "--no-quit-key", "--keep-running",
          "-v, --version", "-V, --verbose", "-d, --debug", "--camera CAMERA", "--list-cameras"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << expected;
    }
}

TEST(Options, CameraOptions) {
    auto result = parse({"--camera", "/dev/video3", "--sync", "fence", "--fence-timeout", "50",
                         "--size", "640x480", "--fps", "30"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    const auto &camera = result.options.camera;
    EXPECT_EQ(camera.device, "/dev/video3");
    EXPECT_EQ(camera.sync, fencecam::SyncChoice::fence);
    EXPECT_EQ(camera.fence_timeout_ms, 50);
    EXPECT_EQ(camera.width, 640);
    EXPECT_EQ(camera.height, 480);
    EXPECT_EQ(camera.fps, 30);
    EXPECT_TRUE(camera.enabled);
    EXPECT_FALSE(parse({"--no-camera"}).options.camera.enabled);
}

TEST(Options, BadCameraValuesNameTheOption) {
    EXPECT_EQ(parse({"--sync", "maybe"}).error,
              "bad --sync 'maybe': expected auto, fence or dqbuf");
    EXPECT_EQ(parse({"--fps", "0"}).error, "bad --fps '0': expected a positive whole number");
    EXPECT_EQ(parse({"--size", "640x480@60"}).error,
              "bad --size '640x480@60': expected WIDTHxHEIGHT");
}

TEST(Options, HudIsOffUnlessAsked) {
    EXPECT_FALSE(parse({}).options.hud);
    auto result = parse({"--hud"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_TRUE(result.options.hud);
}

TEST(Options, CompletionStampsNeedAStatsFile) {
    EXPECT_FALSE(parse({"--stats", "s.jsonl"}).options.completion_stamps);
    auto result = parse({"--completion-stamps", "--stats", "s.jsonl"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_TRUE(result.options.completion_stamps);
    EXPECT_EQ(parse({"--completion-stamps"}).error,
              "--completion-stamps needs --stats FILE: the stamps are recorded there");
}

TEST(Options, ClientFenceTimeout) {
    EXPECT_EQ(parse({}).options.client_fence_timeout_ms, 5000);
    auto result = parse({"--client-fence-timeout", "30000", "--fence-timeout", "50"});
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_EQ(result.options.client_fence_timeout_ms, 30000);
    EXPECT_EQ(result.options.camera.fence_timeout_ms, 50);
    for (const char *bad : {"0", "-1", "5s", "", "99999999999"}) {
        EXPECT_EQ(parse({"--client-fence-timeout", bad}).error,
                  std::string("bad --client-fence-timeout '") + bad +
                      "': expected a positive whole number")
            << bad;
    }
    EXPECT_EQ(parse({"--client-fence-timeout"}).error,
              "option --client-fence-timeout needs a value (try --help)");
    EXPECT_NE(fencecam::usage().find("--client-fence-timeout MS"), std::string::npos);
}

TEST(Options, ListCamerasAndCameraByName) {
    fencecam::ParseResult result = parse({"--list-cameras", "--camera", "c920"});
    ASSERT_EQ(result.error, "");
    EXPECT_TRUE(result.options.list_cameras);
    EXPECT_EQ(result.options.camera.device, "c920");
}
