// Test-only helper for tests/apps/wallet_kill_test.py: rewrites a wallet's keystore and
// wallet.json in a loop so the test can SIGKILL it mid-write, then checks what is on disk.
//
//   wallet_crash_writer create DIR        a wallet whose password is "pw-0"
//   wallet_crash_writer churn DIR N       from password "pw-N": change the password to
//                                         "pw-<N+1>" and print "keystore <N+1>", label the
//                                         first address "label-<N+1>" and print "label <N+1>";
//                                         repeat with N+1, forever
//   wallet_crash_writer check DIR N       opens the wallet; prints "keystore K label L" where
//                                         the keystore opens with "pw-K", K in {N, N+1}, and L
//                                         is the first address's label; exit 1 on any error
//
// A line is printed only after the write it reports returned (so it is durable).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "wallet/wallet.h"

namespace {

using namespace cairn;
using namespace cairn::wallet;

std::string password(unsigned long n) { return "pw-" + std::to_string(n); }

int fail(const std::string& what) {
  std::fprintf(stderr, "wallet_crash_writer: %s\n", what.c_str());
  return 1;
}

int create(const std::filesystem::path& dir) {
  DeterministicRng rng(1);
  const Bytes entropy(16, 3);
  const Bytes seed(64, 4);
  auto w = Wallet::create_from_seed(dir, NewWallet{Network::regtest, 0, kMinimumKdfParams}, entropy, seed,
                                    password(0), rng);
  return w ? 0 : fail(w.error().message);
}

int churn(const std::filesystem::path& dir, unsigned long n) {
  OsRng rng;
  auto w = Wallet::open(dir);
  if (!w) return fail(w.error().message);
  const std::string first = w->addresses().front().address;
  for (;; ++n) {
    if (auto s = w->change_password(password(n), password(n + 1), kMinimumKdfParams, rng); !s)
      return fail(s.error().message);
    std::printf("keystore %lu\n", n + 1);
    std::fflush(stdout);
    if (auto s = w->set_label(first, "label-" + std::to_string(n + 1)); !s) return fail(s.error().message);
    std::printf("label %lu\n", n + 1);
    std::fflush(stdout);
  }
}

int check(const std::filesystem::path& dir, unsigned long n) {
  auto w = Wallet::open(dir);
  if (!w) return fail(w.error().message);
  for (const unsigned long k : {n, n + 1}) {
    if (w->unlock(password(k))) {
      std::printf("keystore %lu label %s\n", k, w->addresses().front().label.c_str());
      return 0;
    }
  }
  return fail("the keystore opens with neither " + password(n) + " nor " + password(n + 1));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: wallet_crash_writer create|churn|check DIR [N]");
  const std::string command = argv[1];
  const std::filesystem::path dir = argv[2];
  const unsigned long n = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
  if (command == "create") return create(dir);
  if (command == "churn") return churn(dir, n);
  if (command == "check") return check(dir, n);
  return fail("unknown command " + command);
}
