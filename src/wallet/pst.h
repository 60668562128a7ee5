// Partially signed transactions ("PST"): an unsigned transaction with everything an offline
// or co-signing wallet needs to sign it, and the signatures gathered so far. The workflow:
// create (from a BuiltTx) -> sign (each signer, no node needed) -> combine -> finalize
// (witnesses) -> broadcast.
//
// Binary layout (canonical codec, util/codec.h; docs/wallet.md "Partially signed
// transactions"):
//
//   magic "CAIRNPST" (8 bytes) ‖ version u8 (= 1) ‖ genesis hash (32) ‖
//   transaction (full encoding, every witness `none`) ‖
//   per input (one per transaction input, no count):
//     spent TxOut (value u64 ‖ OutputLock) ‖
//     has_lock u8 (0|1) ‖ [Lock]          required iff the spent lock is a lock hash
//     has_key u8 (0|1) ‖ [public key 32]  only for a key hash: the key hashing to it
//     varint n ‖ n × (public key 32 ‖ varint d ‖ d × u32)    derivation paths by key
//     varint s ‖ s × (public key 32 ‖ TypedSignature 65)     signatures by key
//   per output (one per transaction output, no count):
//     has_path u8 (0|1) ‖ [varint d ‖ d × u32]               e.g. the change's path
//
// Keys in the path and signature lists are strictly increasing, and each is a signing key
// of its input (the key of a key hash, a key of the revealed lock). The genesis hash names
// the network, so a PST is never signed for the wrong chain. Decoding is strict: every
// rule above, the codec's, the primitives' limits, and kMaxPstBytes; no trailing bytes.
// Text form: base64 (RFC 4648, padded) of the binary.
//
// Decoding checks structure only; combine and finalize verify signatures. Values and pure
// functions: thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "primitives/network.h"
#include "primitives/transaction.h"
#include "util/result.h"
#include "wallet/tx_builder.h"

namespace cairn::wallet {

inline constexpr uint8_t kPstVersion = 1;
inline constexpr std::string_view kPstMagic = "CAIRNPST";
// Far above a standard transaction with every input a 20-key multisig with paths.
inline constexpr size_t kMaxPstBytes = 4'000'000;

struct PstInput {
  TxOut spent;                                     // the output this input spends
  std::optional<Lock> lock;                        // lock-hash outputs: the revealed lock
  std::optional<PublicKey> key;                    // key-hash outputs: the key, when known
  std::map<PublicKey, KeyPath> paths;              // derivation paths of signing keys, when known
  std::map<PublicKey, TypedSignature> signatures;  // gathered so far
  bool operator==(const PstInput&) const = default;
};

struct PstOutput {
  std::optional<KeyPath> path;  // the receiving key's path, when it is the wallet's (change)
  bool operator==(const PstOutput&) const = default;
};

struct Pst {
  Hash256 genesis;  // the network's genesis hash: signatures commit to it
  Transaction tx;   // every witness empty
  std::vector<PstInput> inputs;
  std::vector<PstOutput> outputs;
  bool operator==(const Pst&) const = default;
};

Bytes encode_pst(const Pst& pst);
Result<Pst> decode_pst(ByteSpan bytes);
std::string encode_pst_base64(const Pst& pst);
Result<Pst> decode_pst_base64(std::string_view text);
// A PST file's contents: binary (starting with the magic) or base64 text (surrounding
// whitespace ignored).
Result<Pst> read_pst(ByteSpan contents);

// The PST of a built transaction (inputs with their spent outputs, keys or locks, paths).
Result<Pst> create_pst(const BuiltTx& built, const Hash256& genesis);

// Adds the signatures `signer` can make: for each input it has a key for (a key spend's
// key, or each key of the revealed lock) and has not signed yet. Returns how many were
// added (0 is not an error: the signer holds none of the keys). Error: `genesis` differs
// from the PST's (the PST is for another network).
Result<size_t> sign_pst(Pst& pst, Signer& signer, const Hash256& genesis);

// The union of the signatures of PSTs of the same unsigned transaction (and network).
// Errors: different transactions, or two different signatures by one key for one input,
// or a signature that does not verify.
Result<Pst> combine_psts(std::span<const Pst> psts);

// Which inputs have enough signatures, with messages like "input 0: 2 of 3 signatures
// present, 1 more needed" for those that do not.
struct PstInputStatus {
  size_t present = 0;   // signatures by signing keys (finalize and combine verify them)
  size_t required = 0;  // 1 for a key spend, M for an M-of-N multisig
  size_t keys = 0;      // 1, or N
  bool complete() const { return present >= required; }
};
std::vector<PstInputStatus> pst_input_status(const Pst& pst);

// The signed transaction: KeySpend witnesses, or LockSpend with a Satisfaction holding the
// first M present signatures in key order. Every signature is verified, and every input
// checked with lock_eval. Error (listing each incomplete input): signatures missing.
Result<Transaction> finalize_pst(const Pst& pst);

// What a PST does, for display before signing or broadcasting.
struct PstSummary {
  struct Input {
    OutPoint prevout;
    Amount value = 0;
    std::string address;
    PstInputStatus status;
  };
  struct Output {
    std::string address;
    Amount value = 0;
    bool change = false;  // has a derivation path (the creating wallet's own key)
  };
  Txid txid;
  PayloadKind payload = PayloadKind::none;
  std::optional<Amount> stake_locked;    // bond amount
  std::optional<Amount> stake_released;  // withdraw: outputs[0]
  std::vector<Input> inputs;
  std::vector<Output> outputs;
  Amount fee = 0;
  size_t size = 0;  // encoded size once finalized (estimated: exactly M signatures per input)
  bool complete = false;
};
// Error: values out of the money range, or outputs exceeding inputs.
Result<PstSummary> summarize_pst(const Pst& pst, Network net);
// Human-readable lines of the summary (amounts in coins).
std::string format_pst_summary(const PstSummary& summary);

}  // namespace cairn::wallet
