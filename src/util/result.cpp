#include "util/result.h"

namespace cairn {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid argument";
    case ErrorCode::decode:
      return "decode error";
    case ErrorCode::limit:
      return "limit exceeded";
    case ErrorCode::crypto:
      return "cryptographic error";
    case ErrorCode::verify:
      return "verification failed";
    case ErrorCode::io:
      return "I/O error";
    case ErrorCode::not_found:
      return "not found";
  }
  return "unknown error";
}

std::string Error::to_string() const { return std::string(cairn::to_string(code)) + ": " + message; }

}  // namespace cairn
