#include "consensus/block_error.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(BlockError, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (unsigned raw = 0; raw <= static_cast<unsigned>(BlockError::bad_payload); ++raw) {
    const std::string name = to_string(static_cast<BlockError>(raw));
    EXPECT_NE(name, "unknown") << raw;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
}

TEST(BlockError, NumbersAreStable) {
  // Reported to peers: a renumbering is a protocol change.
  EXPECT_EQ(static_cast<int>(BlockError::bad_header), 0);
  EXPECT_EQ(static_cast<int>(BlockError::known_invalid), 14);
  EXPECT_EQ(static_cast<int>(BlockError::bad_payload), 34);
}

TEST(BlockError, WhereABlockLandsIsNoFaultOfItsSender) {
  for (BlockError e :
       {BlockError::unknown_parent, BlockError::invalid_parent, BlockError::conflicts_with_finalized,
        BlockError::reorg_too_deep, BlockError::time_too_new}) {
    EXPECT_FALSE(shows_block_invalid(e)) << to_string(e);
  }
  for (BlockError e : {BlockError::bad_pow, BlockError::mutated, BlockError::bad_state_root,
                       BlockError::known_invalid, BlockError::conflicts_with_checkpoint}) {
    EXPECT_TRUE(shows_block_invalid(e)) << to_string(e);
  }
}

}  // namespace
}  // namespace cairn
