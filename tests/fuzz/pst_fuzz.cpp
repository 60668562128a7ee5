// Partially signed transactions (wallet/pst.h): any accepted input must re-encode byte for
// byte and decode to the same value; the base64 and file readers must agree with the binary
// decoder; and what the wallet derives from an accepted PST (status, summary, finalize)
// must not crash, whatever the signatures are.
#include <algorithm>
#include <string_view>

#include "fuzz.h"
#include "wallet/pst.h"

using namespace cairn;
using namespace cairn::wallet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto pst = decode_pst(in);
  // The same bytes as a file: binary when they start with the magic, else base64 text.
  auto read = read_pst(in);
  const bool binary = size >= kPstMagic.size() && std::equal(kPstMagic.begin(), kPstMagic.end(), in.begin());
  if (!pst) {
    FUZZ_CHECK(!binary || !read);
    return 0;
  }
  FUZZ_CHECK(read && *read == *pst);
  const Bytes again = encode_pst(*pst);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode_pst_base64(encode_pst_base64(*pst));
  FUZZ_CHECK(redecoded && *redecoded == *pst);

  FUZZ_CHECK(pst_input_status(*pst).size() == pst->inputs.size());
  if (auto summary = summarize_pst(*pst, Network::regtest)) {
    FUZZ_CHECK(summary->inputs.size() == pst->inputs.size());
    (void)format_pst_summary(*summary);
  }
  if (auto tx = finalize_pst(*pst)) FUZZ_CHECK(txid(*tx) == txid(pst->tx));
  return 0;
}
