// multistream-select 1.0 (/multistream/1.0.0): how two libp2p peers agree on the protocol
// of a connection or stream (libp2p/specs connections/README.md, multiformats/
// multistream-select). A sans-I/O state machine for either role: bytes in, bytes out, and
// an outcome, negotiated(protocol) or failed(reason).
//
//   message   = uvarint length ‖ UTF-8 text ‖ '\n'   (the length counts the '\n')
//   both      : send /multistream/1.0.0 first, expect the peer's to be its first message
//   dialer    : propose protocols in order; each is echoed (agreed) or answered "na"
//   listener  : echo a supported proposal, "na" to anything else, and answer "ls" with one
//               message holding each supported protocol as a message of its own, then '\n'
//
// Bytes that arrive after the message that concludes the negotiation belong to the next
// protocol: they are kept untouched for take_leftover().
//
// Optimistic dialing (the "lazy" negotiation of libp2p/specs connections/
// optimistic-multistream.md): with a single proposal and `optimistic`, can_send() is true
// from the start, so the caller may write application data right after the first output,
// saving a round trip; the echo is still read and checked (a "na" then fails the stream).
// Only do this when the peer is known to support the protocol (identify): a peer that
// refuses it would read the application data as further proposals.
//
// Not thread-safe: one instance per connection or stream, driven by one strand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr std::string_view kMultistreamProtocolId = "/multistream/1.0.0";
// Longest message accepted, counting the '\n' (libp2p implementations use 1024 too).
inline constexpr size_t kMaxMultistreamMessageLength = 1024;
// Most proposals (and "ls" requests) a listener answers, and a dialer may make, before it
// gives up: a peer cannot keep a negotiation going for ever.
inline constexpr size_t kMaxMultistreamProposals = 16;

// The framed form of one message: uvarint(text.size() + 1) ‖ text ‖ '\n'.
Bytes encode_multistream_message(std::string_view text);

class MultistreamSelect {
 public:
  enum class State { negotiating, negotiated, failed };

  // A dialer proposing `protocols` in order of preference. A valid protocol id starts with
  // '/', is UTF-8 without '\n' and fits a message. REQUIRES: 1..kMaxMultistreamProposals
  // valid ids; optimistic only with exactly one.
  static MultistreamSelect dialer(std::vector<std::string> protocols, bool optimistic = false);
  // A listener that accepts any of `supported` (valid protocol ids), listed in this order
  // in its "ls" answer.
  static MultistreamSelect listener(std::vector<std::string> supported);

  // Feeds bytes received from the peer and returns the state after them.
  // REQUIRES: state() == State::negotiating.
  State receive(ByteSpan data);
  // Bytes to send to the peer now (possibly none); the first call returns the opening
  // messages. Still call it after the negotiation ends: the final echo is queued there.
  Bytes take_output();

  State state() const { return state_; }
  // Whether the caller may already write application data (see "Optimistic dialing").
  bool can_send() const {
    return state_ == State::negotiated || (optimistic_ && state_ == State::negotiating);
  }
  // REQUIRES: state() == State::negotiated.
  const std::string& protocol() const;
  // REQUIRES: state() == State::failed.
  const Error& error() const;
  // The bytes received after the negotiation's last message. REQUIRES: negotiated.
  Bytes take_leftover();

 private:
  enum class Role { dialer, listener };
  MultistreamSelect(Role role, std::vector<std::string> protocols, bool optimistic);

  // Handles one complete message (its text without the '\n').
  void on_message(std::string_view text);
  void on_dialer_message(std::string_view text);
  void on_listener_message(std::string_view text);
  void send(std::string_view text);
  void fail(ErrorCode code, std::string reason);

  Role role_;
  std::vector<std::string> protocols_;  // the dialer's proposals or the listener's set
  bool optimistic_;
  State state_ = State::negotiating;
  bool header_received_ = false;
  size_t proposals_ = 0;  // dialer: proposals sent; listener: proposals and ls answered
  std::optional<std::string> protocol_;
  std::optional<Error> error_;
  Bytes input_;   // received bytes not yet consumed
  Bytes output_;  // bytes for take_output()
};

}  // namespace cairn::net
