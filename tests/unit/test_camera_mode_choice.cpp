#include <gtest/gtest.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include "camera_lookup.hpp"
#include "camera_mode_choice.hpp"

using namespace fencecam;

namespace {

CameraFrameSize size(int width, int height, std::vector<FrameInterval> intervals) {
    CameraFrameSize entry;
    entry.width = entry.max_width = width;
    entry.height = entry.max_height = height;
    entry.intervals = std::move(intervals);
    return entry;
}

CameraPixelFormat format(uint32_t fourcc, std::vector<CameraFrameSize> sizes,
                         bool compressed = false) {
    return {fourcc, fourcc_text(fourcc), compressed, std::move(sizes)};
}

// A typical USB webcam (and the test VM's gadget camera): YUYV up to 640x480
// at full rate, 1280x720 slowly, and 1280x720 fast only as MJPEG.
CameraDescription webcam() {
    CameraDescription camera;
    camera.path = "/dev/video2";
    camera.card = "fencecam gadget camera: UVC Cam";
    camera.driver = "uvcvideo";
    camera.current_width = 640;
    camera.current_height = 480;
    camera.formats = {
        format(V4L2_PIX_FMT_YUYV,
               {size(640, 480, {{1, 30}, {1, 15}, {1, 5}}), size(1280, 720, {{1, 10}, {1, 5}})}),
        format(V4L2_PIX_FMT_MJPEG,
               {size(1280, 720, {{1, 30}, {1, 10}}), size(1920, 1080, {{1, 30}})}, true),
    };
    return camera;
}

ModeWanted on_vkms(int width, int height) {
    ModeWanted wanted;
    wanted.scanout_formats = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_NV12};
    wanted.composite_formats = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_NV12,
                                DRM_FORMAT_YUYV};
    wanted.width = width;
    wanted.height = height;
    return wanted;
}

} // namespace

TEST(CameraModeChoice, TheWantedSizeAtItsHighestRate) {
    ModeResult result = choose_camera_mode(webcam(), on_vkms(640, 480));
    ASSERT_TRUE(result.choice) << result.error;
    EXPECT_EQ(result.choice->v4l2_fourcc, V4L2_PIX_FMT_YUYV);
    EXPECT_EQ(result.choice->drm_fourcc, DRM_FORMAT_YUYV);
    EXPECT_EQ(result.choice->width, 640);
    EXPECT_EQ(result.choice->height, 480);
    EXPECT_EQ(result.choice->interval.denominator, 30u);
    EXPECT_NE(result.choice->why.find("the output's size (640x480)"), std::string::npos);
    EXPECT_NE(result.choice->why.find("renderer composites"), std::string::npos);
    EXPECT_NE(result.choice->why.find("30 fps, the highest"), std::string::npos);
}

TEST(CameraModeChoice, ScanoutFormatBeforeComposited) {
    CameraDescription camera = webcam();
    camera.formats.push_back(format(V4L2_PIX_FMT_NV12, {size(1280, 720, {{1, 5}})}));
    camera.formats.push_back(format(V4L2_PIX_FMT_XBGR32, {size(1280, 720, {{1, 5}})}));
    ModeResult result = choose_camera_mode(camera, on_vkms(1280, 720));
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->drm_fourcc, DRM_FORMAT_XRGB8888);
    EXPECT_NE(result.choice->why.find("which the output scans out"), std::string::npos);
}

TEST(CameraModeChoice, OnlyMjpegAtTheWantedSizeGetsTheBestUncompressedMode) {
    // 1920x1080 exists only as MJPEG: the largest YUYV that fits instead.
    ModeResult result = choose_camera_mode(webcam(), on_vkms(1920, 1080));
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->v4l2_fourcc, V4L2_PIX_FMT_YUYV);
    EXPECT_EQ(result.choice->width, 1280);
    EXPECT_EQ(result.choice->height, 720);
    EXPECT_EQ(result.choice->interval.denominator, 10u);
    EXPECT_NE(result.choice->why.find("only as MJPG"), std::string::npos) << result.choice->why;
}

TEST(CameraModeChoice, NoSizeFitsTakesTheSmallestAbove) {
    ModeResult result = choose_camera_mode(webcam(), on_vkms(320, 240));
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->width, 640);
    EXPECT_EQ(result.choice->height, 480);
    EXPECT_NE(result.choice->why.find("smallest size above"), std::string::npos);
}

TEST(CameraModeChoice, LargestThatFitsAnOddOutput) {
    // vkms' 1024x768: 640x480 fits, 1280x720 does not.
    ModeResult result = choose_camera_mode(webcam(), on_vkms(1024, 768));
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->width, 640);
    EXPECT_EQ(result.choice->height, 480);
}

TEST(CameraModeChoice, NoFasterThanTheDisplay) {
    CameraDescription camera = webcam();
    camera.formats[0].sizes[0].intervals = {{1, 120}, {1, 60}, {1, 30}};
    ModeWanted wanted = on_vkms(640, 480);
    wanted.max_fps = 60;
    ModeResult result = choose_camera_mode(camera, wanted);
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->interval.denominator, 60u);
    EXPECT_NE(result.choice->why.find("up to the display's 60 Hz"), std::string::npos);
    wanted.max_fps = 24;
    EXPECT_EQ(choose_camera_mode(camera, wanted).choice->interval.denominator, 30u);
}

TEST(CameraModeChoice, FpsAskedForPicksTheNearest) {
    ModeWanted wanted = on_vkms(640, 480);
    wanted.fps = 12;
    ModeResult result = choose_camera_mode(webcam(), wanted);
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->interval.denominator, 15u);
}

TEST(CameraModeChoice, NoSizeWantedKeepsTheCurrentOne) {
    CameraDescription camera = webcam();
    camera.current_width = 1280;
    camera.current_height = 720;
    ModeResult result = choose_camera_mode(camera, on_vkms(0, 0));
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->width, 1280);
}

TEST(CameraModeChoice, StepwiseSizesTakeTheWantedOne) {
    CameraDescription camera;
    CameraFrameSize range;
    range.width = 16;
    range.height = 16;
    range.max_width = 4096;
    range.max_height = 2160;
    range.step_width = range.step_height = 2;
    range.intervals = {{1, 60}, {1, 1}};
    camera.formats = {format(V4L2_PIX_FMT_XBGR32, {range})};
    ModeResult result = choose_camera_mode(camera, on_vkms(1024, 768));
    ASSERT_TRUE(result.choice);
    EXPECT_EQ(result.choice->width, 1024);
    EXPECT_EQ(result.choice->height, 768);
    EXPECT_EQ(result.choice->interval.denominator, 60u);
}

TEST(CameraModeChoice, NothingUsableNamesWhatIsOfferedAndShown) {
    CameraDescription camera = webcam();
    camera.formats.erase(camera.formats.begin());
    ModeResult result = choose_camera_mode(camera, on_vkms(640, 480));
    EXPECT_FALSE(result.choice);
    EXPECT_EQ(result.error, "/dev/video2 (fencecam gadget camera: UVC Cam) offers no format "
                            "fencecam can show: it offers MJPG; this display takes XR24 AR24 "
                            "NV12 YUYV");
}

TEST(CameraLookup, PathsAreTakenAsTheyAre) {
    EXPECT_EQ(find_camera("/dev/v4l/by-id/usb-x-video-index0", {}).path,
              "/dev/v4l/by-id/usb-x-video-index0");
}

TEST(CameraLookup, PartOfANameMatchesOneCamera) {
    CameraDescription vivid;
    vivid.path = "/dev/video0";
    vivid.card = "vivid";
    std::vector<CameraDescription> cameras{vivid, webcam()};
    EXPECT_EQ(find_camera("Gadget", cameras).path, "/dev/video2");
    EXPECT_EQ(find_camera("vivid", cameras).path, "/dev/video0");

    CameraLookup none = find_camera("c920", cameras);
    EXPECT_TRUE(none.path.empty());
    EXPECT_EQ(none.error, "no camera is named like 'c920' (cameras: /dev/video0 (vivid), "
                          "/dev/video2 (fencecam gadget camera: UVC Cam)); give a path or a part "
                          "of a name (--list-cameras)");
    CameraLookup several = find_camera("v", cameras);
    EXPECT_TRUE(several.path.empty());
    EXPECT_NE(several.error.find("names several cameras"), std::string::npos);
}
