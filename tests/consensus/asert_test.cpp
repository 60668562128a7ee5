#include "consensus/asert.h"

#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/vectors.h"

namespace cairn {
namespace {

// The parameters of ../shared/vectors/asert: Bitcoin Cash's aserti3-2d test runs.
constexpr AsertParams kBchParams{.target_spacing = 600, .half_life = 172'800, .pow_limit = 0x1d00ffff};

uint64_t parse_number(const std::string& s) { return std::stoull(s, nullptr, 0); }

// Checks every "iteration height time target" line of one run file.
void check_run(const std::filesystem::path& path) {
  std::istringstream in(test::read_file(path));
  std::map<std::string, std::string> header;
  AsertAnchor anchor;
  size_t lines = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("##", 0) == 0) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(2, colon - 2);
      key.erase(0, key.find_first_not_of(' '));
      header[key] = line.substr(line.find_first_not_of(' ', colon + 1));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    if (lines == 0) {
      anchor.height = parse_number(header.at("anchor height"));
      const std::string parent_key =
          header.count("anchor parent time") ? "anchor parent time" : "anchor ancestor time";
      anchor.parent_time = std::stoll(header.at(parent_key));
      anchor.target = static_cast<uint32_t>(parse_number(header.at("anchor nBits")));
    }
    std::istringstream fields(line);
    std::string iteration, height, time, target;
    fields >> iteration >> height >> time >> target;
    const uint32_t got = asert_next_target(kBchParams, anchor, parse_number(height), std::stoll(time));
    char hex[11];
    std::snprintf(hex, sizeof hex, "0x%08x", got);
    ASSERT_EQ(std::string(hex), target) << path.filename() << " iteration " << iteration;
    ++lines;
  }
  EXPECT_EQ(lines, parse_number(header.at("iterations"))) << path.filename();
}

#define CAIRN_ASERT_RUN(n)                      \
  TEST(AsertVectors, Run##n) {                  \
    CAIRN_REQUIRE_SHARED(path, "asert/run" #n); \
    check_run(path);                            \
  }
CAIRN_ASERT_RUN(01)
CAIRN_ASERT_RUN(02)
CAIRN_ASERT_RUN(03)
CAIRN_ASERT_RUN(04)
CAIRN_ASERT_RUN(05)
CAIRN_ASERT_RUN(06)
CAIRN_ASERT_RUN(07)
CAIRN_ASERT_RUN(08)
CAIRN_ASERT_RUN(09)
CAIRN_ASERT_RUN(10)
CAIRN_ASERT_RUN(11)
CAIRN_ASERT_RUN(12)

TEST(Asert, OnScheduleKeepsTheAnchorTarget) {
  const AsertAnchor anchor{.height = 0, .parent_time = 1000 - 600, .target = 0x1c0ffff0};
  EXPECT_EQ(asert_next_target(kBchParams, anchor, 0, 1000), 0x1c0ffff0U);
  EXPECT_EQ(asert_next_target(kBchParams, anchor, 10, 1000 + 6000), 0x1c0ffff0U);
}

TEST(Asert, OneHalfLifeAheadHalvesOneBehindDoubles) {
  const AsertAnchor anchor{.height = 0, .parent_time = -600, .target = 0x1c0ffff0};
  // A half-life's worth of blocks early: half the target; late by a half-life: double.
  EXPECT_EQ(asert_next_target(kBchParams, anchor, 288, 0), 0x1c07fff8U);
  EXPECT_EQ(asert_next_target(kBchParams, anchor, 0, 172'800), 0x1c1fffe0U);
}

TEST(Asert, ClampsToThePowLimitAndToOne) {
  const AsertAnchor anchor{.height = 0, .parent_time = 0, .target = 0x1d00ffff};
  EXPECT_EQ(asert_next_target(kBchParams, anchor, 0, 1'000'000'000), 0x1d00ffffU);
  // Far ahead of schedule: the target bottoms out at 1 (compact 0x01010000).
  EXPECT_EQ(asert_next_target(kBchParams, anchor, 1'000'000, 0), 0x01010000U);
}

TEST(Asert, LimitNearTwoTo256DoesNotOverflow) {
  // Regtest's limit decodes to ~2^255: anchor target * factor needs more than 256 bits.
  constexpr AsertParams easy{.target_spacing = 1, .half_life = 3600, .pow_limit = 0x207fffff};
  const AsertAnchor anchor{.height = 0, .parent_time = -1, .target = 0x207fffff};
  EXPECT_EQ(asert_next_target(easy, anchor, 0, 0), 0x207fffffU);
  EXPECT_EQ(asert_next_target(easy, anchor, 0, 1'000'000), 0x207fffffU);
  EXPECT_EQ(asert_next_target(easy, anchor, 3600, 0), 0x203fffffU);  // one half-life ahead
}

}  // namespace
}  // namespace cairn
