#include "net/multistream.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "net/multiformats.h"

namespace cairn::net {
namespace {

constexpr std::string_view kNotAvailable = "na";
constexpr std::string_view kList = "ls";

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<uint8_t>(text[i]);
    size_t extra = 0;
    uint32_t cp = 0, min = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      extra = 1, cp = b & 0x1fu, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      extra = 2, cp = b & 0x0fu, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      extra = 3, cp = b & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<uint8_t>(text[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

[[maybe_unused]] bool is_protocol_id(std::string_view id) {
  return id.starts_with('/') && id.size() < kMaxMultistreamMessageLength &&
         id.find('\n') == std::string_view::npos && is_utf8(id);
}

// A peer's text in an error message: at most 64 characters, non-printable bytes as '?'.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (text.size() > 64 ? "...\"" : "\"");
}

}  // namespace

Bytes encode_multistream_message(std::string_view text) {
  Bytes out;
  out.reserve(uvarint_size(text.size() + 1) + text.size() + 1);
  append_uvarint(out, text.size() + 1);
  out.insert(out.end(), text.begin(), text.end());
  out.push_back('\n');
  return out;
}

MultistreamSelect MultistreamSelect::dialer(std::vector<std::string> protocols, bool optimistic) {
  assert(!protocols.empty() && protocols.size() <= kMaxMultistreamProposals);
  assert(!optimistic || protocols.size() == 1);
  return MultistreamSelect(Role::dialer, std::move(protocols), optimistic);
}

MultistreamSelect MultistreamSelect::listener(std::vector<std::string> supported) {
  return MultistreamSelect(Role::listener, std::move(supported), false);
}

MultistreamSelect::MultistreamSelect(Role role, std::vector<std::string> protocols, bool optimistic)
    : role_(role), protocols_(std::move(protocols)), optimistic_(optimistic) {
  assert(std::all_of(protocols_.begin(), protocols_.end(), is_protocol_id));
  // Both sides may open with the header at once, without waiting for the peer's; the
  // dialer's first proposal goes in the same write, as every libp2p implementation does.
  send(kMultistreamProtocolId);
  if (role_ == Role::dialer) {
    send(protocols_[0]);
    proposals_ = 1;
  }
}

MultistreamSelect::State MultistreamSelect::receive(ByteSpan data) {
  assert(state_ == State::negotiating && "receive after the negotiation ended");
  input_.insert(input_.end(), data.begin(), data.end());
  size_t consumed = 0;
  while (state_ == State::negotiating) {
    const ByteSpan rest = ByteSpan(input_).subspan(consumed);
    auto length = read_uvarint_prefix(rest);
    if (!length) {
      fail(ErrorCode::decode, "message length: " + length.error().message);
      break;
    }
    if (!*length) break;  // the length itself is incomplete
    const uint64_t n = (*length)->value;
    if (n == 0 || n > kMaxMultistreamMessageLength) {
      fail(n == 0 ? ErrorCode::decode : ErrorCode::limit, "message of " + std::to_string(n) +
                                                              " bytes; messages have 1 to " +
                                                              std::to_string(kMaxMultistreamMessageLength));
      break;
    }
    const size_t prefix = (*length)->size;
    if (rest.size() - prefix < n) break;  // wait for the rest of the message
    const auto* begin = reinterpret_cast<const char*>(rest.data() + prefix);
    const std::string_view text(begin, static_cast<size_t>(n) - 1);
    consumed += prefix + static_cast<size_t>(n);
    if (begin[n - 1] != '\n') {
      fail(ErrorCode::decode, "message does not end in a newline");
    } else if (text.find('\n') != std::string_view::npos || !is_utf8(text)) {
      fail(ErrorCode::decode, "message is not one line of UTF-8");
    } else {
      on_message(text);
    }
  }
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(consumed));
  // Nothing more is read after a failure; the connection is closed.
  if (state_ == State::failed) input_.clear();
  return state_;
}

void MultistreamSelect::on_message(std::string_view text) {
  if (!header_received_) {
    if (text != kMultistreamProtocolId) {
      fail(ErrorCode::decode, "peer does not speak " + std::string(kMultistreamProtocolId) +
                                  ": its first message is " + quote(text));
      return;
    }
    header_received_ = true;
    return;
  }
  if (role_ == Role::dialer) {
    on_dialer_message(text);
  } else {
    on_listener_message(text);
  }
}

void MultistreamSelect::on_dialer_message(std::string_view text) {
  const std::string& proposed = protocols_[proposals_ - 1];
  if (text == proposed) {
    protocol_ = proposed;
    state_ = State::negotiated;
  } else if (text != kNotAvailable) {
    fail(ErrorCode::decode, "unexpected answer " + quote(text) + " to the proposal of " + proposed);
  } else if (proposals_ < protocols_.size()) {
    send(protocols_[proposals_++]);
  } else {
    std::string list;
    for (const auto& p : protocols_) list += (list.empty() ? "" : ", ") + p;
    fail(ErrorCode::not_found, "peer supports none of the proposed protocols (" + list + ")");
  }
}

void MultistreamSelect::on_listener_message(std::string_view text) {
  if (proposals_ == kMaxMultistreamProposals) {
    fail(ErrorCode::limit, "peer made more than " + std::to_string(kMaxMultistreamProposals) + " proposals");
    return;
  }
  ++proposals_;
  if (text == kList) {
    // The spec's listing, as go, js and rust libp2p write it: one message whose content is
    // each protocol as a message of its own, and the closing '\n'.
    std::string listing;
    for (const auto& p : protocols_) {
      const Bytes line = encode_multistream_message(p);
      listing.append(line.begin(), line.end());
    }
    send(listing);
    return;
  }
  auto it = std::find(protocols_.begin(), protocols_.end(), text);
  if (it == protocols_.end()) {
    send(kNotAvailable);
    return;
  }
  send(*it);
  protocol_ = *it;
  state_ = State::negotiated;
}

Bytes MultistreamSelect::take_output() { return std::exchange(output_, {}); }

const std::string& MultistreamSelect::protocol() const {
  assert(state_ == State::negotiated);
  return *protocol_;
}

const Error& MultistreamSelect::error() const {
  assert(state_ == State::failed);
  return *error_;
}

Bytes MultistreamSelect::take_leftover() {
  assert(state_ == State::negotiated);
  return std::exchange(input_, {});
}

void MultistreamSelect::send(std::string_view text) {
  const Bytes message = encode_multistream_message(text);
  output_.insert(output_.end(), message.begin(), message.end());
}

void MultistreamSelect::fail(ErrorCode code, std::string reason) {
  state_ = State::failed;
  error_.emplace(code, "multistream-select: " + std::move(reason));
}

}  // namespace cairn::net
