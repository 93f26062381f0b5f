#include <gtest/gtest.h>

#include "json_string.hpp"

using fencecam::json_string;

TEST(JsonString, PlainTextIsQuoted) {
    EXPECT_EQ(json_string("weston-simple-shm (pid 42)"), "\"weston-simple-shm (pid 42)\"");
    EXPECT_EQ(json_string(""), "\"\"");
}

TEST(JsonString, QuotesBackslashesAndControlsAreEscaped) {
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string("line\nnext\ttab"), "\"line\\nnext\\ttab\"");
    EXPECT_EQ(json_string(std::string("nul\0bell\a\x1b\x7f", 11)),
              "\"nul\\u0000bell\\u0007\\u001b\\u007f\"");
}

TEST(JsonString, Utf8IsKeptAndOtherBytesReplaced) {
    EXPECT_EQ(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb7"),
              "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb7\"");
    // A lone continuation byte, a truncated sequence, an overlong '/', a
    // UTF-16 surrogate: none is UTF-8.
    EXPECT_EQ(json_string("a\x80"
                          "b"),
              "\"a\\ufffdb\"");
    EXPECT_EQ(json_string("\xe2\x82"), "\"\\ufffd\\ufffd\"");
    EXPECT_EQ(json_string("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
    EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
}
