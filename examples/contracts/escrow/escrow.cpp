// An escrow of native coins: a buyer opens a deal for a seller with an arbiter, sending the
// coins with the call; the buyer or the arbiter releases them to the seller, the arbiter or
// the seller refunds them to the buyer, and after the deadline height the buyer may take
// them back alone. One contract holds many deals, numbered from 1.
//
// How it stays safe: a deal is settled at most once (its state leaves `open` before any
// coin moves, and the whole call reverts if the payment fails); only the parties named at
// opening can settle it; amounts come from the value actually received, never from an
// argument. Storage deposits (docs/contracts.md §3) never come out of escrowed coins: the
// deployer sends the deposit of the deal counter (kCounterDeposit) with the deploy, and each
// buyer that of their deal (kDealDeposit) on top of the amount; deposits stay with the
// contract.
#include <cairn/contract.h>

using cairn::Account;

namespace {

enum DealState : uint8_t { kNone = 0, kOpen = 1, kReleased = 2, kRefunded = 3 };

}  // namespace

struct Deal {
  Account buyer;
  Account seller;
  Account arbiter;
  uint64_t amount = 0;
  uint64_t deadline = 0;  // block height from which the buyer may refund alone
  uint8_t state = kNone;
};
CAIRN_STRUCT(Deal, buyer, seller, arbiter, amount, deadline, state)

namespace {

// The deposit one deal's entry needs: its key ("deals:" ‖ u64) and value (3 accounts, two
// u64 and a u8) plus the 64-byte entry overhead, at 100 base units per byte.
constexpr uint64_t kDealDeposit = (6 + 8 + 3 * 33 + 8 + 8 + 1 + 64) * 100;
// The deal counter's entry: key "last_id", a u64 value, the overhead.
constexpr uint64_t kCounterDeposit = (7 + 8 + 64) * 100;

inline constexpr cairn::Value<uint64_t> last_id{"last_id"};
inline constexpr cairn::Map<uint64_t, Deal> deals{"deals"};

Deal open_deal(uint64_t id) {
  Deal deal = deals.get(id);
  cairn::require(deal.state != kNone, "no such deal");
  cairn::require(deal.state == kOpen, "deal already settled");
  return deal;
}

}  // namespace

CAIRN_EVENT(Opened, (indexed, uint64_t, id), (indexed, Account, buyer), (indexed, Account, seller),
            (data, Account, arbiter), (data, uint64_t, amount), (data, uint64_t, deadline))
CAIRN_EVENT(Released, (indexed, uint64_t, id), (data, Account, to), (data, uint64_t, amount))
CAIRN_EVENT(Refunded, (indexed, uint64_t, id), (data, Account, to), (data, uint64_t, amount))

CAIRN_INIT() {
  cairn::require(cairn::value() >= kCounterDeposit, "deploy with the counter's deposit as value");
  last_id.set(0);
}

// Opens a deal holding value − kDealDeposit; returns its id.
CAIRN_PAYABLE(open, uint64_t, (Account, seller), (Account, arbiter), (uint64_t, deadline)) {
  uint64_t received = cairn::value();
  cairn::require(received > kDealDeposit, "value must exceed the deal deposit");
  cairn::require(deadline > cairn::block_height(), "deadline already passed");
  Deal deal;
  deal.buyer = cairn::caller();
  deal.seller = seller;
  deal.arbiter = arbiter;
  deal.amount = received - kDealDeposit;
  deal.deadline = deadline;
  deal.state = kOpen;
  uint64_t id = cairn::add(last_id.get(), 1);
  last_id.set(id);
  deals.set(id, deal);
  emit_Opened(id, deal.buyer, seller, arbiter, deal.amount, deadline);
  return id;
}

// The buyer or the arbiter pays the seller.
CAIRN_METHOD(release, void, (uint64_t, id)) {
  Deal deal = open_deal(id);
  Account who = cairn::caller();
  cairn::require(who == deal.buyer || who == deal.arbiter, "only the buyer or the arbiter may release");
  deal.state = kReleased;
  deals.set(id, deal);
  cairn::pay(deal.seller, deal.amount);
  emit_Released(id, deal.seller, deal.amount);
}

// The arbiter or the seller pays the buyer back; the buyer alone once the deadline is reached.
CAIRN_METHOD(refund, void, (uint64_t, id)) {
  Deal deal = open_deal(id);
  Account who = cairn::caller();
  bool allowed = who == deal.arbiter || who == deal.seller ||
                 (who == deal.buyer && cairn::block_height() >= deal.deadline);
  cairn::require(allowed, "refund not allowed");
  deal.state = kRefunded;
  deals.set(id, deal);
  cairn::pay(deal.buyer, deal.amount);
  emit_Refunded(id, deal.buyer, deal.amount);
}

// 0 no such deal, 1 open, 2 released, 3 refunded.
CAIRN_VIEW(status, uint8_t, (uint64_t, id)) { return deals.get(id).state; }
CAIRN_VIEW(deal, Deal, (uint64_t, id)) {
  Deal deal = deals.get(id);
  cairn::require(deal.state != kNone, "no such deal");
  return deal;
}
CAIRN_VIEW(deal_count, uint64_t) { return last_id.get(); }
CAIRN_VIEW(deal_deposit, uint64_t) { return kDealDeposit; }
