#include "contract_test_runner.h"

#include <fstream>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "contract_abi.h"
#include "contracts/host_functions.h"
#include "contracts/local_chain.h"
#include "primitives/address.h"
#include "wallet_context.h"

namespace cairn::app {
namespace {

using json = nlohmann::json;

struct Runner {
  Network net;
  const Abi& abi;
  contracts::LocalChain chain;
  std::optional<ContractId> contract;
  Bytes code;

  Account named(const std::string& name) const {
    return Account{AccountKind::key, blake3(as_bytes("cairn test account " + name))};
  }
  // "@name" -> the named account's address; "@contract" -> the deployed contract's.
  json resolve(const json& value) const {
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      if (text == "@contract" && contract) return encode_address(net, contract_account(*contract));
      if (text.size() > 1 && text[0] == '@') return encode_address(net, named(text.substr(1)));
      return value;
    }
    if (value.is_array() || value.is_object()) {
      json out = value;
      for (auto& item : out) item = resolve(item);
      return out;
    }
    return value;
  }
  Account account_arg(const json& step, const char* key) const {
    std::string name = step.value(key, "deployer");
    if (name.starts_with("@")) name = name.substr(1);
    return named(name);
  }
};

std::string host_name(contracts::HostFunction f) {
  for (const auto& s : contracts::kHostFunctions)
    if (s.function == f) return std::string(s.name);
  return "?";
}

}  // namespace

int run_contract_test(const ContractOptions& o, Network net, bool json_out, std::ostream& out,
                      std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << "cairn: contract test: " << message << "\n";
    return 1;
  };
  auto code = read_input(o.wasm, kMaxCodeBytes);
  if (!code) return fail(code.error().message);
  auto abi = load_abi(o.abi);
  if (!abi) return fail(abi.error().message);
  std::ifstream in(o.script);
  if (!in) return fail("cannot read the script '" + o.script + "'");
  const json script = json::parse(in, nullptr, false);
  if (script.is_discarded() || !script.is_object() || !script.contains("steps") ||
      !script["steps"].is_array())
    return fail("the script is not a JSON object with a \"steps\" array");

  Runner r{net, *abi, {}, std::nullopt, *code};
  std::vector<std::string> logs;
  std::vector<contracts::HostCallTrace> trace;
  r.chain.options().debug_log = [&](std::string_view line) { logs.emplace_back(line); };
  if (o.trace) r.chain.options().trace = &trace;

  json report = json::array();
  size_t failures = 0;
  size_t index = 0;
  for (const json& item : script["steps"]) {
    ++index;
    if (!item.is_object() || item.size() != 1)
      return fail("step " + std::to_string(index) + ": one kind per step");
    const std::string kind = item.begin().key();
    const json& step = item.begin().value();
    logs.clear();
    trace.clear();
    json doc{{"step", index}, {"kind", kind}};
    const AbiMethod* method = nullptr;
    Result<contracts::Execution> exec =
        Error{ErrorCode::invalid_argument, "unknown step kind '" + kind + "'"};
    const uint64_t gas = step.value("gas", contracts::kLocalDefaultGas);
    const Amount value = step.value("value", Amount{0});
    if (kind == "next_block") {
      r.chain.next_block(step.value("seconds", contracts::kLocalBlockSeconds));
      doc["height"] = r.chain.env().height;
      report.push_back(doc);
      if (!json_out) out << "[" << index << "] next_block: height " << r.chain.env().height << "\n";
      continue;
    }
    if (kind == "deploy") {
      method = abi->constructor ? &*abi->constructor : nullptr;
      Bytes args;
      if (method != nullptr) {
        auto encoded = encode_args(*abi, method->inputs, r.resolve(step.value("args", json::array())), net);
        if (!encoded) return fail("step " + std::to_string(index) + ": " + encoded.error().message);
        args = *encoded;
      }
      Hash256 salt;
      if (step.contains("salt")) {
        auto parsed = Hash256::from_hex(step["salt"].get<std::string>());
        if (!parsed) return fail("step " + std::to_string(index) + ": salt is not 64 hex digits");
        salt = *parsed;
      }
      std::optional<Account> admin;
      if (step.contains("admin")) admin = r.account_arg(step, "admin");
      exec = r.chain.deploy(r.code, args, r.account_arg(step, "from"), value, gas, salt, admin);
      if (exec && exec->status == ExecStatus::success) r.contract = exec->contract;
    } else if (kind == "call" || kind == "query") {
      if (!r.contract) return fail("step " + std::to_string(index) + ": nothing is deployed yet");
      const std::string name = step.value("method", "");
      method = abi->method(name);
      if (method == nullptr)
        return fail("step " + std::to_string(index) + ": the ABI has no method '" + name + "'");
      auto args = encode_args(*abi, method->inputs, r.resolve(step.value("args", json::array())), net);
      if (!args) return fail("step " + std::to_string(index) + ": " + args.error().message);
      doc["method"] = name;
      exec = kind == "call" ? r.chain.call(*r.contract, name, *args, r.account_arg(step, "from"), value, gas)
                            : r.chain.query(*r.contract, name, *args, r.account_arg(step, "from"), gas);
    } else if (kind == "upgrade") {
      if (!r.contract) return fail("step " + std::to_string(index) + ": nothing is deployed yet");
      Bytes new_code = r.code;
      if (step.contains("wasm")) {
        auto other = read_input(step.value("wasm", ""), kMaxCodeBytes);
        if (!other) return fail("step " + std::to_string(index) + ": " + other.error().message);
        new_code = std::move(*other);
      }
      exec = r.chain.upgrade(*r.contract, new_code, r.account_arg(step, "from"), gas);
    }
    if (!exec) return fail("step " + std::to_string(index) + ": " + exec.error().message);
    doc["status"] = to_string(exec->status);
    doc["gas_used"] = exec->gas_used;
    if (!exec->message.empty()) doc["message"] = exec->message;
    if (kind == "deploy" && exec->status == ExecStatus::success) {
      doc["contract"] = encode_address(net, contract_account(exec->contract));
    }
    if (method != nullptr && exec->status == ExecStatus::success && kind != "deploy") {
      auto result = decode_output(*abi, *method, exec->return_data, net);
      doc["result"] = result ? *result : json(nullptr);
      if (!result) doc["result_error"] = result.error().message;
    } else if (!exec->return_data.empty()) {
      doc["return_data"] = to_hex(exec->return_data);
    }
    json events = json::array();
    for (const Event& e : exec->events) {
      auto decoded = decode_event(*abi, e.topics, e.data, net);
      if (decoded && *decoded) {
        events.push_back(**decoded);
      } else {
        json topics = json::array();
        for (const auto& t : e.topics) topics.push_back(t.hex());
        events.push_back(json{{"topics", topics}, {"data", to_hex(e.data)}});
      }
    }
    doc["events"] = events;
    if (!logs.empty()) doc["debug_log"] = logs;
    if (o.trace) {
      json calls = json::array();
      for (const auto& t : trace) {
        calls.push_back(json{{"depth", t.depth},
                             {"function", host_name(t.function)},
                             {"args", t.args},
                             {"result", t.result},
                             {"gas_before", t.gas_before},
                             {"gas_after", t.gas_after}});
      }
      doc["trace"] = calls;
    }
    // Expectations.
    std::vector<std::string> broken;
    if (step.contains("expect")) {
      const json& expect = step["expect"];
      if (expect.contains("status") && expect["status"] != doc["status"])
        broken.push_back("status " + doc["status"].dump() + ", expected " + expect["status"].dump());
      if (expect.contains("result") &&
          (!doc.contains("result") || r.resolve(expect["result"]) != doc["result"]))
        broken.push_back("result " + doc.value("result", json(nullptr)).dump() + ", expected " +
                         r.resolve(expect["result"]).dump());
      if (expect.contains("message") &&
          doc.value("message", "").find(expect["message"].get<std::string>()) == std::string::npos)
        broken.push_back("message '" + doc.value("message", "") + "' lacks " + expect["message"].dump());
      if (expect.contains("events") && expect["events"].get<size_t>() != events.size())
        broken.push_back(std::to_string(events.size()) + " events, expected " + expect["events"].dump());
    } else if (exec->status != ExecStatus::success) {
      broken.push_back("status " + doc["status"].get<std::string>() + " (no expectation given)");
    }
    doc["ok"] = broken.empty();
    if (!broken.empty()) {
      ++failures;
      doc["failures"] = broken;
    }
    report.push_back(doc);
    if (json_out) continue;
    out << "[" << index << "] " << kind
        << (doc.contains("method") ? " " + doc["method"].get<std::string>() : "") << ": "
        << doc["status"].get<std::string>() << ", gas " << exec->gas_used;
    if (doc.contains("contract")) out << ", contract " << doc["contract"].get<std::string>();
    if (doc.contains("message")) out << ", message: " << doc["message"].get<std::string>();
    out << "\n";
    if (doc.contains("result"))
      out << "    result: " << doc["result"].dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    for (const auto& e : events)
      out << "    event: " << e.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    for (const auto& line : logs) out << "    log: " << line << "\n";
    if (o.trace) {
      for (const auto& t : doc["trace"]) {
        out << "    host " << t["function"].get<std::string>() << t["args"].dump() << " -> "
            << t["result"].dump() << "  gas " << t["gas_before"].dump() << " -> " << t["gas_after"].dump()
            << "\n";
      }
    }
    for (const auto& b : broken) out << "    FAILED: " << b << "\n";
  }
  if (json_out) {
    out << json{{"steps", report}, {"failures", failures}}.dump(2, ' ', false, json::error_handler_t::replace)
        << "\n";
  } else {
    out << (failures == 0 ? "all " + std::to_string(index) + " steps passed\n"
                          : std::to_string(failures) + " of " + std::to_string(index) + " steps failed\n");
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace cairn::app
