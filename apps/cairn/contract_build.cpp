#include "contract_build.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cairn::app {
namespace {

namespace fs = std::filesystem;

// Bytes of a tool's messages kept for an error.
constexpr size_t kMaxToolMessageBytes = 8192;

Error failed(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

std::optional<fs::path> on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / tool;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs argv[0] with its output and errors to `log` in `dir`; an Error with the messages
// when it fails.
Status run_tool(const std::vector<std::string>& argv, const fs::path& dir, const std::string& step) {
  const fs::path log = dir / "tool.log";
  const pid_t pid = ::fork();
  if (pid < 0) return failed(step + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failed(step + ": waitpid: " + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string messages = read_text(log);
  if (messages.size() > kMaxToolMessageBytes) messages = messages.substr(0, kMaxToolMessageBytes) + "...";
  return failed(step + " failed (" + argv[0] + "):\n" + messages);
}

// A fresh private directory, removed with everything in it when the guard goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cairn-contract-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Writes `bytes` to `path` through a temporary file and a rename, with the umask's mode (a
// build output, not a secret).
Status write_output_file(const fs::path& path, std::string_view bytes) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return failed(path.string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) return failed(path.string() + ": " + ec.message());
  return {};
}

bool has_sdk(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "cairn" / "contract.h", ec);
}

}  // namespace

Result<fs::path> find_sdk(const std::string& flag) {
  if (!flag.empty()) {
    if (!has_sdk(flag)) return failed("--sdk " + flag + ": no cairn/contract.h there");
    return fs::absolute(flag);
  }
  if (const char* env = std::getenv("CAIRN_SDK"); env != nullptr && *env != 0) {
    if (!has_sdk(env)) return failed(std::string("$CAIRN_SDK ") + env + ": no cairn/contract.h there");
    return fs::absolute(env);
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = self.parent_path() / ".." / "share" / "cairn" / "sdk" / "include";
    if (has_sdk(installed)) return fs::weakly_canonical(installed);
  }
#ifdef CAIRN_SOURCE_SDK_DIR
  if (has_sdk(CAIRN_SOURCE_SDK_DIR)) return fs::path(CAIRN_SOURCE_SDK_DIR);
#endif
  return failed(
      "the contract SDK was not found: pass --sdk DIR (the directory holding cairn/contract.h) or set "
      "$CAIRN_SDK");
}

Result<ContractBuildOutput> build_contract_source(const ContractBuildOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(options.source, ec))
    return failed("no source file '" + options.source.string() + "'");
  CAIRN_TRY(const fs::path sdk, find_sdk(options.sdk));
  const auto compiler = on_path(kContractCompiler);
  const auto linker = on_path(kContractLinker);
  if (!compiler || !linker) {
    return failed(std::string(compiler ? "" : kContractCompiler) + (!compiler && !linker ? " and " : "") +
                  (linker ? "" : kContractLinker) +
                  " not found on PATH: contracts are built with Debian's clang-14 and lld-14 "
                  "(apt-get install clang-14 lld-14)");
  }
  const fs::path source = fs::weakly_canonical(fs::absolute(options.source));
  ContractBuildOutput out;
  out.name = source.stem().string();
  TempDir work;
  if (work.path().empty()) return failed("cannot create a temporary directory");
  const fs::path dir = work.path();
  // Fixed names for the caller's directories: nothing of where the build ran remains.
  const std::vector<std::string> prefix_maps = {
      "-ffile-prefix-map=" + source.parent_path().string() + "=src",
      "-ffile-prefix-map=" + sdk.string() + "=sdk",
      "-ffile-prefix-map=" + dir.string() + "=build",
  };
  std::vector<std::string> compile = {
      compiler->string(),
      "--target=wasm32",
      "-std=c++20",
      "-Oz",
      "-nostdlib",
      "-ffreestanding",
      "-fno-exceptions",
      "-fno-rtti",
      "-fno-threadsafe-statics",
      "-mcpu=mvp",
      "-mmutable-globals",
      "-msign-ext",
      "-mno-bulk-memory",
      "-mno-reference-types",
      "-mno-simd128",
      "-mno-multivalue",
      "-mno-nontrapping-fptoint",
      "-Wall",
      "-Wextra",
  };
  compile.insert(compile.end(), prefix_maps.begin(), prefix_maps.end());
  const std::vector<std::string> tail = {"-I", sdk.string(), "-c", source.string(), "-o", "contract.o"};
  compile.insert(compile.end(), tail.begin(), tail.end());
  CAIRN_TRY_STATUS(run_tool(compile, dir, "compiling " + source.filename().string() + " for wasm32"));
  CAIRN_TRY_STATUS(run_tool({linker->string(), "--no-entry", "--strip-all", "--gc-sections", "-z",
                             "stack-size=65536", "--max-memory=2097152", "contract.o", "-o", "contract.wasm"},
                            dir, "linking the module"));
  std::vector<std::string> printer = {compiler->string(), "-std=c++20", "-O0", "-DCAIRN_ABI_GEN",
                                      "-DCAIRN_CONTRACT_NAME=\"" + out.name + "\""};
  printer.insert(printer.end(), prefix_maps.begin(), prefix_maps.end());
  const std::vector<std::string> printer_tail = {"-I", sdk.string(), source.string(), "-o", "abi_printer"};
  printer.insert(printer.end(), printer_tail.begin(), printer_tail.end());
  CAIRN_TRY_STATUS(run_tool(printer, dir, "compiling the ABI printer"));
  CAIRN_TRY_STATUS(run_tool({(dir / "abi_printer").string(), "contract.abi.json"}, dir, "printing the ABI"));

  const std::string wasm_text = read_text(dir / "contract.wasm");
  out.code.assign(wasm_text.begin(), wasm_text.end());
  out.abi_text = read_text(dir / "contract.abi.json");
  if (out.code.empty() || out.abi_text.empty()) return failed("the build left no module or no ABI");
  if (options.out_dir.empty()) return out;
  fs::create_directories(options.out_dir, ec);
  if (ec) return failed("-o " + options.out_dir.string() + ": " + ec.message());
  out.wasm = options.out_dir / (out.name + ".wasm");
  out.abi = options.out_dir / (out.name + ".abi.json");
  CAIRN_TRY_STATUS(write_output_file(out.wasm, wasm_text));
  CAIRN_TRY_STATUS(write_output_file(out.abi, out.abi_text));
  return out;
}

}  // namespace cairn::app
