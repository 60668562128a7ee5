// Access to test vectors: ../shared/vectors (official, may be absent in a bare clone) and
// tests/data (Cairn's own, always present).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace cairn::test {

// The file under ../shared/vectors, or nullopt when ../shared is not beside the checkout.
std::optional<std::filesystem::path> shared_vector(const std::string& relative);
// A file under tests/data.
std::filesystem::path test_data(const std::string& relative);
std::string read_file(const std::filesystem::path& path);

}  // namespace cairn::test

// Skips the current test with a message when a ../shared vector file is absent.
#define CAIRN_REQUIRE_SHARED(var, relative)                                                          \
  auto var##_opt = ::cairn::test::shared_vector(relative);                                           \
  if (!var##_opt) GTEST_SKIP() << "../shared/vectors/" relative " is absent; skipping (bare clone)"; \
  const std::filesystem::path var = *var##_opt
