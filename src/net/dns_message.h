// DNS messages (RFC 1035 §4) as Multicast DNS uses them (RFC 6762), for mDNS peer
// discovery (mdns.h). Strict and bounded: the decoder refuses anything malformed or over a
// limit below with an Error, and keeps only the record types discovery needs.
//
//   header     id, flags (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE as 16 raw bits),
//              four big-endian section counts
//   question   name, type, class; RFC 6762 §5.4: the top bit of the class is the
//              "unicast response" (QU) bit
//   record     name, type, class, TTL, rdlength, rdata; RFC 6762 §10.2: the top bit of the
//              class is the "cache flush" bit. Records of type PTR, TXT, A and AAAA and class
//              IN are decoded; any other type or class is skipped by its rdlength
//   PTR        one name                  TXT  one or more <length><bytes> strings (RFC 6763
//   A          4 address bytes                §6: at least one; each at most 255 bytes)
//   AAAA       16 address bytes
//   names      labels of 1..63 bytes ending in the root label; at most 255 bytes on the wire,
//              counting length bytes and the root. The decoder follows compression pointers
//              (RFC 1035 §4.1.4): each must point strictly before the start of the labels it
//              continues (so decoding always terminates) and at most kMaxDnsPointerJumps of
//              them are followed in one name. The encoder never compresses.
//
// Labels are kept as bytes (a string): mDNS names may hold any byte, including '.'.
// Comparisons of names are ASCII case-insensitive (RFC 1035 §2.3.3). Pure functions,
// thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

// RFC 6762 §17: a Multicast DNS message may be up to 9000 bytes (jumbo frames); larger
// datagrams are refused before decoding.
inline constexpr size_t kMaxDnsMessageSize = 9000;
inline constexpr size_t kDnsHeaderSize = 12;
// RFC 1035 §2.3.4.
inline constexpr size_t kMaxDnsLabelBytes = 63;
inline constexpr size_t kMaxDnsNameWireLength = 255;
inline constexpr size_t kMaxDnsCharacterString = 255;
// Compression pointers followed while reading one name. Honest encoders need one.
inline constexpr size_t kMaxDnsPointerJumps = 16;
// Entries a message may declare in its question section, and in its three record sections
// together; a message over either is refused (an honest mDNS message holds a handful).
inline constexpr size_t kMaxDnsQuestions = 32;
inline constexpr size_t kMaxDnsRecords = 128;

// DO NOT CHANGE THESE VALUES: the DNS TYPE and CLASS registries (RFC 1035, RFC 3596).
enum class DnsType : uint16_t { a = 1, ptr = 12, txt = 16, aaaa = 28, any = 255 };
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint16_t kDnsClassAny = 255;
// The top bit of a question's or record's class (RFC 6762 §5.4, §10.2).
inline constexpr uint16_t kDnsClassTopBit = 0x8000;
// Header flag bits.
inline constexpr uint16_t kDnsFlagResponse = 0x8000;       // QR
inline constexpr uint16_t kDnsFlagAuthoritative = 0x0400;  // AA
inline constexpr uint16_t kDnsFlagTruncated = 0x0200;      // TC
inline constexpr uint16_t kDnsOpcodeMask = 0x7800;
inline constexpr uint16_t kDnsRcodeMask = 0x000f;

// A domain name as its labels, without the root: {"_p2p", "_udp", "local"}.
using DnsName = std::vector<std::string>;

// "a.b.c" (a trailing '.' allowed) as labels; Error for an empty label or one over the
// limits. Labels holding '.' cannot be written this way.
Result<DnsName> dns_name_from_text(std::string_view text);
std::string dns_name_to_text(const DnsName& name);
// ASCII case-insensitive equality of names, as DNS compares them.
bool dns_names_equal(const DnsName& a, const DnsName& b);

struct DnsQuestion {
  DnsName name;
  uint16_t type = 0;
  uint16_t qclass = kDnsClassIn;  // without the QU bit
  bool unicast_response = false;  // the QU bit
  bool operator==(const DnsQuestion&) const = default;
};

using DnsTxt = std::vector<Bytes>;  // the character-strings, in order
using DnsA = std::array<uint8_t, 4>;
using DnsAaaa = std::array<uint8_t, 16>;
using DnsRdata = std::variant<DnsName, DnsTxt, DnsA, DnsAaaa>;  // PTR, TXT, A, AAAA

struct DnsRecord {
  DnsName name;
  uint16_t rclass = kDnsClassIn;  // always IN for kept records; without the flush bit
  bool cache_flush = false;
  uint32_t ttl = 0;
  DnsRdata data;

  DnsType type() const;
  bool operator==(const DnsRecord&) const = default;
};

struct DnsMessage {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> authorities;
  std::vector<DnsRecord> additionals;

  bool is_response() const { return (flags & kDnsFlagResponse) != 0; }
  uint16_t opcode() const { return static_cast<uint16_t>((flags & kDnsOpcodeMask) >> 11); }
  uint16_t rcode() const { return flags & kDnsRcodeMask; }
  bool operator==(const DnsMessage&) const = default;
};

// Decodes one datagram. Records of other types or classes are left out of the result;
// trailing bytes after the last declared record are an Error.
Result<DnsMessage> decode_dns_message(ByteSpan datagram);
// Encodes without name compression; Error if a name, string, count or the whole message
// exceeds a limit above, or a TXT record has no strings.
Result<Bytes> encode_dns_message(const DnsMessage& message);

}  // namespace cairn::net
