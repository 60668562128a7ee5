// cairnd's configuration file (node/options: TOML through toml++, then every key checked and
// merged). The file is the operator's, but it is copied from guides and edited by hand, so
// any bytes must give a config or an error naming the file and line, never a crash. And the
// loader's promise behind `cairnd --print-config`: what it prints for a config that resolves
// is itself a config file that loads to the same values.
#include <string>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "node/options.h"

using namespace cairn;

namespace {

// An in-memory file with a path (/proc/self/fd/N): the loader reads the file as cairnd does,
// with no disk involved.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("cairnd.toml", 0)) { FUZZ_CHECK(fd_ >= 0); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() { close(fd_); }

  std::string write(std::string_view text) const {
    FUZZ_CHECK(ftruncate(fd_, 0) == 0);
    FUZZ_CHECK(pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

Result<NodeConfig> load(const std::string& path) {
  // No environment: only the file (and a data directory that holds no default file).
  return load_node_config({"--config", path, "--datadir", "/nonexistent/cairn-fuzz"},
                          [](const std::string&) { return std::nullopt; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const MemoryFile file;
  auto config = load(file.write(std::string_view(reinterpret_cast<const char*>(data), size)));
  if (!config) {
    FUZZ_CHECK(!config.error().message.empty());
    return 0;
  }
  auto resolved = resolve_node_config(*config);
  if (!resolved) return 0;
  const std::string printed = render_config_toml(*config, *resolved);
  auto again = load(file.write(printed));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(resolve_node_config(*again).ok());
  FUZZ_CHECK(again->entries.size() == config->entries.size());
  for (size_t i = 0; i < config->entries.size(); ++i) {
    const ConfigEntry& before = config->entries[i];
    const ConfigEntry& after = again->entries[i];
    FUZZ_CHECK(before.key == after.key);
    // Derived defaults are printed as resolved, so only values that were set must match.
    if (before.source != ConfigSource::default_value) FUZZ_CHECK(before.values == after.values);
  }
  return 0;
}
