#include "rpc_client.h"

#include <cstdint>
#include <fstream>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "rpc/auth.h"

namespace cairn::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<std::string> read_password_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Error{ErrorCode::io, "--rpc-password-file: cannot read '" + file + "'"};
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty())
    return Error{ErrorCode::invalid_argument, "--rpc-password-file: '" + file + "' has no password"};
  return line;
}

}  // namespace

std::string CallFailure::to_string() const {
  return rpc_code ? "error " + std::to_string(*rpc_code) + ": " + message : message;
}

Result<RpcEndpoint> resolve_endpoint(const RpcClientOptions& options, const ResolvedPaths& paths) {
  RpcEndpoint endpoint;
  if (options.connect.empty()) {
    endpoint.server = HostPort{"127.0.0.1", default_rpc_port(paths.network)};
  } else {
    auto server = parse_host_port(options.connect);
    if (!server) return Error{ErrorCode::invalid_argument, "--rpc-connect: " + server.error().message};
    endpoint.server = *server;
  }
  if (options.user.empty() != options.password_file.empty()) {
    return Error{ErrorCode::invalid_argument, "--rpc-user and --rpc-password-file go together"};
  }
  if (!options.user.empty()) {
    CAIRN_TRY(auto password, read_password_file(options.password_file));
    endpoint.credentials = rpc::Credentials{options.user, std::move(password)};
    return endpoint;
  }
  const auto cookie_file = paths.network_datadir / rpc::kCookieFileName;
  auto cookie = rpc::read_cookie(cookie_file);
  if (cookie) {
    endpoint.credentials = std::move(*cookie);
  } else {
    endpoint.note = "no cookie: " + cookie.error().message + "; or give --rpc-user and --rpc-password-file";
  }
  return endpoint;
}

CallResult interpret_response(unsigned http_status, const std::string& body, const std::string& note) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    if (auto error = doc.find("error"); error != doc.end() && error->is_object()) {
      const auto code = error->find("code");
      const auto message = error->find("message");
      CallFailure failure{
          code != error->end() && code->is_number_integer() ? std::optional(code->get<int>()) : std::nullopt,
          message != error->end() && message->is_string() ? message->get<std::string>() : error->dump()};
      if (http_status == 401 && !note.empty()) failure.message += " (" + note + ")";
      return failure;
    }
    if (auto result = doc.find("result"); http_status == 200 && result != doc.end()) return *result;
  }
  switch (http_status) {
    case 401:
      return CallFailure{std::nullopt, "cairnd refused the credentials (HTTP 401)" +
                                           (note.empty() ? std::string() : ": " + note)};
    case 403:
      return CallFailure{std::nullopt, "cairnd refused the request (HTTP 403): " + body};
    case 429:
      return CallFailure{std::nullopt, "too many requests (HTTP 429): try again shortly"};
    case 503:
      return CallFailure{std::nullopt, "cairnd is busy (HTTP 503): try again shortly"};
    default:
      return CallFailure{std::nullopt, "unexpected answer from cairnd (HTTP " + std::to_string(http_status) +
                                           "): " + body.substr(0, 200)};
  }
}

CallResult RpcClient::call(const std::string& method, const json& params) {
  const std::string where = endpoint_.server.to_string();
  const json request{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(kRpcCallTimeout);
    beast::error_code ec;
    const auto addresses = resolver.resolve(endpoint_.server.host, std::to_string(endpoint_.server.port), ec);
    if (ec) return CallFailure{std::nullopt, "cannot resolve " + where + ": " + ec.message()};
    stream.connect(addresses, ec);
    if (ec) {
      return CallFailure{std::nullopt,
                         "cannot connect to cairnd at " + where + ": " + ec.message() +
                             " (is cairnd running? start it, or point --rpc-connect and --network "
                             "at it)"};
    }
    http::request<http::string_body> req{http::verb::post, "/", 11};
    req.set(http::field::host, where);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "cairn");
    if (endpoint_.credentials)
      req.set(http::field::authorization,
              rpc::basic_authorization(endpoint_.credentials->user, endpoint_.credentials->password));
    req.body() = request.dump();
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) return CallFailure{std::nullopt, "sending to cairnd at " + where + " failed: " + ec.message()};
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    http::read(stream, buffer, parser, ec);
    if (ec)
      return CallFailure{std::nullopt, "reading cairnd's answer from " + where + " failed: " + ec.message()};
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    const auto& response = parser.get();
    return interpret_response(response.result_int(), response.body(), endpoint_.note);
  } catch (const std::exception& e) {
    return CallFailure{std::nullopt, "talking to cairnd at " + where + " failed: " + e.what()};
  }
}

}  // namespace cairn::app
