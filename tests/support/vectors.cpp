#include "support/vectors.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cairn::test {

std::optional<std::filesystem::path> shared_vector(const std::string& relative) {
  std::filesystem::path p = std::filesystem::path(CAIRN_SHARED_DIR) / "vectors" / relative;
  if (!std::filesystem::exists(p)) return std::nullopt;
  return p;
}

std::filesystem::path test_data(const std::string& relative) {
  return std::filesystem::path(CAIRN_TESTS_DIR) / "data" / relative;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cairn::test
