#include "net/dns_message.h"

#include <optional>

namespace cairn::net {
namespace {

Error decode_error(const std::string& what) { return Error{ErrorCode::decode, "dns message: " + what}; }
Error limit_error(const std::string& what) { return Error{ErrorCode::limit, "dns message: " + what}; }

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The bytes a name takes uncompressed: a length byte per label, the labels, the root.
size_t wire_length(const DnsName& name) {
  size_t length = 1;
  for (const auto& label : name) length += 1 + label.size();
  return length;
}

Status check_name(const DnsName& name) {
  for (const auto& label : name) {
    if (label.empty()) return Error{ErrorCode::invalid_argument, "dns name: empty label"};
    if (label.size() > kMaxDnsLabelBytes) return limit_error("label longer than 63 bytes");
  }
  if (wire_length(name) > kMaxDnsNameWireLength) return limit_error("name longer than 255 bytes");
  return {};
}

class Reader {
 public:
  explicit Reader(ByteSpan data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  Result<uint8_t> u8() {
    if (remaining() < 1) return decode_error("truncated");
    return data_[pos_++];
  }
  Result<uint16_t> u16() {
    if (remaining() < 2) return decode_error("truncated");
    const auto value = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return value;
  }
  Result<uint32_t> u32() {
    CAIRN_TRY(const uint16_t high, u16());
    CAIRN_TRY(const uint16_t low, u16());
    return (static_cast<uint32_t>(high) << 16) | low;
  }
  Result<ByteSpan> take(size_t n) {
    if (remaining() < n) return decode_error("truncated");
    const ByteSpan out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  // A name at the current position, following compression pointers anywhere in the
  // message; the position moves past the name's bytes here (up to its first pointer).
  Result<DnsName> name() {
    DnsName out;
    size_t length = 1;             // the root label
    size_t cursor = pos_;          // where the next label is read
    size_t segment_start = pos_;   // where the current run of labels began
    std::optional<size_t> resume;  // where reading continues after the name
    size_t jumps = 0;
    for (;;) {
      if (cursor >= data_.size()) return decode_error("truncated name");
      const uint8_t byte = data_[cursor];
      if ((byte & 0xc0) == 0xc0) {
        if (cursor + 1 >= data_.size()) return decode_error("truncated compression pointer");
        const size_t target = (static_cast<size_t>(byte & 0x3f) << 8) | data_[cursor + 1];
        if (++jumps > kMaxDnsPointerJumps) return limit_error("too many compression pointers");
        // Strictly before the labels it continues: every jump moves backwards past all
        // that was read, so a name cannot loop.
        if (target >= segment_start) return decode_error("compression pointer does not point backwards");
        if (!resume) resume = cursor + 2;
        cursor = target;
        segment_start = target;
        continue;
      }
      if ((byte & 0xc0) != 0) return decode_error("reserved label type");
      if (byte == 0) {
        pos_ = resume ? *resume : cursor + 1;
        return out;
      }
      // byte <= 63 here: the two top bits are clear.
      length += 1 + byte;
      if (length > kMaxDnsNameWireLength) return limit_error("name longer than 255 bytes");
      if (cursor + 1 + byte > data_.size()) return decode_error("truncated label");
      out.emplace_back(reinterpret_cast<const char*>(data_.data() + cursor + 1), byte);
      cursor += 1 + byte;
    }
  }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

Result<DnsQuestion> read_question(Reader& reader) {
  DnsQuestion question;
  CAIRN_TRY(question.name, reader.name());
  CAIRN_TRY(question.type, reader.u16());
  CAIRN_TRY(const uint16_t qclass, reader.u16());
  question.unicast_response = (qclass & kDnsClassTopBit) != 0;
  question.qclass = qclass & static_cast<uint16_t>(~kDnsClassTopBit);
  return question;
}

// One record; nullopt for a type or class that is skipped.
Result<std::optional<DnsRecord>> read_record(Reader& reader) {
  DnsRecord record;
  CAIRN_TRY(record.name, reader.name());
  CAIRN_TRY(const uint16_t type, reader.u16());
  CAIRN_TRY(const uint16_t rclass, reader.u16());
  CAIRN_TRY(record.ttl, reader.u32());
  CAIRN_TRY(const uint16_t rdlength, reader.u16());
  if (reader.remaining() < rdlength) return decode_error("truncated rdata");
  record.cache_flush = (rclass & kDnsClassTopBit) != 0;
  record.rclass = rclass & static_cast<uint16_t>(~kDnsClassTopBit);
  const size_t end = reader.position() + rdlength;
  if (record.rclass != kDnsClassIn) {
    (void)reader.take(rdlength);
    return std::optional<DnsRecord>();
  }
  switch (static_cast<DnsType>(type)) {
    case DnsType::ptr: {
      CAIRN_TRY(DnsName target, reader.name());
      record.data = std::move(target);
      break;
    }
    case DnsType::txt: {
      if (rdlength == 0) return decode_error("TXT record without strings");
      DnsTxt strings;
      while (reader.position() < end) {
        CAIRN_TRY(const uint8_t size, reader.u8());
        if (reader.position() + size > end) return decode_error("TXT string overruns its record");
        CAIRN_TRY(const ByteSpan bytes, reader.take(size));
        strings.emplace_back(bytes.begin(), bytes.end());
      }
      record.data = std::move(strings);
      break;
    }
    case DnsType::a: {
      if (rdlength != 4) return decode_error("A record of " + std::to_string(rdlength) + " bytes");
      CAIRN_TRY(const ByteSpan bytes, reader.take(4));
      DnsA address;
      std::copy(bytes.begin(), bytes.end(), address.begin());
      record.data = address;
      break;
    }
    case DnsType::aaaa: {
      if (rdlength != 16) return decode_error("AAAA record of " + std::to_string(rdlength) + " bytes");
      CAIRN_TRY(const ByteSpan bytes, reader.take(16));
      DnsAaaa address;
      std::copy(bytes.begin(), bytes.end(), address.begin());
      record.data = address;
      break;
    }
    default:
      (void)reader.take(rdlength);
      return std::optional<DnsRecord>();
  }
  if (reader.position() != end) return decode_error("rdata length does not match its contents");
  return std::optional<DnsRecord>(std::move(record));
}

class Writer {
 public:
  void u8(uint8_t value) { out_.push_back(value); }
  void u16(uint16_t value) {
    out_.push_back(static_cast<uint8_t>(value >> 8));
    out_.push_back(static_cast<uint8_t>(value));
  }
  void u32(uint32_t value) {
    u16(static_cast<uint16_t>(value >> 16));
    u16(static_cast<uint16_t>(value));
  }
  void bytes(ByteSpan data) {
    for (const uint8_t byte : data) out_.push_back(byte);
  }
  Status name(const DnsName& name) {
    CAIRN_TRY_STATUS(check_name(name));
    for (const auto& label : name) {
      u8(static_cast<uint8_t>(label.size()));
      bytes(as_bytes(label));
    }
    u8(0);
    return {};
  }
  size_t size() const { return out_.size(); }
  // Overwrites the two bytes at `at` (reserved earlier with u16).
  void patch_u16(size_t at, uint16_t value) {
    out_[at] = static_cast<uint8_t>(value >> 8);
    out_[at + 1] = static_cast<uint8_t>(value);
  }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

Status write_record(Writer& writer, const DnsRecord& record) {
  CAIRN_TRY_STATUS(writer.name(record.name));
  writer.u16(static_cast<uint16_t>(record.type()));
  if (record.rclass & kDnsClassTopBit)
    return Error{ErrorCode::invalid_argument, "dns record: class over 15 bits"};
  writer.u16(static_cast<uint16_t>(record.rclass | (record.cache_flush ? kDnsClassTopBit : 0)));
  writer.u32(record.ttl);
  const size_t length_at = writer.size();
  writer.u16(0);
  if (const auto* target = std::get_if<DnsName>(&record.data)) {
    CAIRN_TRY_STATUS(writer.name(*target));
  } else if (const auto* strings = std::get_if<DnsTxt>(&record.data)) {
    if (strings->empty()) return Error{ErrorCode::invalid_argument, "dns record: TXT without strings"};
    for (const auto& string : *strings) {
      if (string.size() > kMaxDnsCharacterString) return limit_error("TXT string longer than 255 bytes");
      writer.u8(static_cast<uint8_t>(string.size()));
      writer.bytes(string);
    }
  } else if (const auto* a = std::get_if<DnsA>(&record.data)) {
    writer.bytes(*a);
  } else {
    writer.bytes(std::get<DnsAaaa>(record.data));
  }
  const size_t rdlength = writer.size() - length_at - 2;
  if (rdlength > UINT16_MAX) return limit_error("rdata longer than 65535 bytes");
  writer.patch_u16(length_at, static_cast<uint16_t>(rdlength));
  return {};
}

}  // namespace

Result<DnsName> dns_name_from_text(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  DnsName name;
  if (text.empty()) return name;  // the root
  for (size_t start = 0;;) {
    const size_t dot = text.find('.', start);
    name.emplace_back(
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  CAIRN_TRY_STATUS(check_name(name));
  return name;
}

std::string dns_name_to_text(const DnsName& name) {
  std::string out;
  for (const auto& label : name) {
    if (!out.empty()) out += '.';
    out += label;
  }
  return out;
}

bool dns_names_equal(const DnsName& a, const DnsName& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (size_t j = 0; j < a[i].size(); ++j) {
      if (ascii_lower(a[i][j]) != ascii_lower(b[i][j])) return false;
    }
  }
  return true;
}

DnsType DnsRecord::type() const {
  switch (data.index()) {
    case 0:
      return DnsType::ptr;
    case 1:
      return DnsType::txt;
    case 2:
      return DnsType::a;
    default:
      return DnsType::aaaa;
  }
}

Result<DnsMessage> decode_dns_message(ByteSpan datagram) {
  if (datagram.size() > kMaxDnsMessageSize) return limit_error("longer than 9000 bytes");
  Reader reader(datagram);
  DnsMessage message;
  CAIRN_TRY(message.id, reader.u16());
  CAIRN_TRY(message.flags, reader.u16());
  CAIRN_TRY(const uint16_t question_count, reader.u16());
  CAIRN_TRY(const uint16_t answer_count, reader.u16());
  CAIRN_TRY(const uint16_t authority_count, reader.u16());
  CAIRN_TRY(const uint16_t additional_count, reader.u16());
  if (question_count > kMaxDnsQuestions) return limit_error("more than 32 questions");
  if (size_t{answer_count} + authority_count + additional_count > kMaxDnsRecords) {
    return limit_error("more than 128 records");
  }
  for (uint16_t i = 0; i < question_count; ++i) {
    CAIRN_TRY(DnsQuestion question, read_question(reader));
    message.questions.push_back(std::move(question));
  }
  const std::pair<std::vector<DnsRecord>*, uint16_t> sections[] = {
      {&message.answers, answer_count},
      {&message.authorities, authority_count},
      {&message.additionals, additional_count},
  };
  for (const auto& [section, count] : sections) {
    for (uint16_t i = 0; i < count; ++i) {
      CAIRN_TRY(std::optional<DnsRecord> record, read_record(reader));
      if (record) section->push_back(std::move(*record));
    }
  }
  if (reader.remaining() != 0) return decode_error("trailing bytes");
  return message;
}

Result<Bytes> encode_dns_message(const DnsMessage& message) {
  if (message.questions.size() > kMaxDnsQuestions) return limit_error("more than 32 questions");
  if (message.answers.size() + message.authorities.size() + message.additionals.size() > kMaxDnsRecords) {
    return limit_error("more than 128 records");
  }
  Writer writer;
  writer.u16(message.id);
  writer.u16(message.flags);
  writer.u16(static_cast<uint16_t>(message.questions.size()));
  writer.u16(static_cast<uint16_t>(message.answers.size()));
  writer.u16(static_cast<uint16_t>(message.authorities.size()));
  writer.u16(static_cast<uint16_t>(message.additionals.size()));
  for (const auto& question : message.questions) {
    CAIRN_TRY_STATUS(writer.name(question.name));
    writer.u16(question.type);
    if (question.qclass & kDnsClassTopBit)
      return Error{ErrorCode::invalid_argument, "dns question: class over 15 bits"};
    writer.u16(static_cast<uint16_t>(question.qclass | (question.unicast_response ? kDnsClassTopBit : 0)));
  }
  for (const auto* section : {&message.answers, &message.authorities, &message.additionals}) {
    for (const auto& record : *section) CAIRN_TRY_STATUS(write_record(writer, record));
  }
  if (writer.size() > kMaxDnsMessageSize) return limit_error("longer than 9000 bytes");
  return writer.take();
}

}  // namespace cairn::net
