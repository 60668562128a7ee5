#include "rpc/schema.h"

#include <string>

#include <gtest/gtest.h>

namespace cairn::rpc {
namespace {

using json = nlohmann::json;
using namespace nlohmann::literals;

const json kAmount = R"({"type": "string", "pattern": "^(0|[1-9][0-9]*)$"})"_json;
const json kBlockSelector = R"({"oneOf": [{"type": "integer", "minimum": 0},
                                          {"type": "string", "pattern": "^[0-9a-f]{64}$"}]})"_json;

std::string violation(const json& schema, const json& value) {
  EXPECT_TRUE(check_schema(schema)) << schema.dump();
  return schema_violation(schema, value, "params.x").value_or("");
}

TEST(CheckSchema, AcceptsTheSupportedKeywords) {
  const json schema = R"({
    "type": "object", "title": "t", "description": "d",
    "properties": {
      "a": {"type": ["string", "null"], "minLength": 1, "maxLength": 3, "pattern": "^a"},
      "b": {"type": "array", "items": {"type": "integer"}, "minItems": 0, "maxItems": 2},
      "c": {"enum": [1, "x"]},
      "d": {"const": 5, "examples": [5]},
      "e": {"anyOf": [{"type": "number", "minimum": 1.5, "maximum": 9}]}
    },
    "required": ["a"],
    "additionalProperties": false})"_json;
  EXPECT_TRUE(check_schema(schema));
  EXPECT_TRUE(check_schema(kBlockSelector));
  EXPECT_TRUE(check_schema(json::object()));
}

TEST(CheckSchema, RefusesWhatItCannotEnforce) {
  auto message = [](const json& schema) {
    auto status = check_schema(schema);
    return status ? std::string("ok") : status.error().message;
  };
  EXPECT_EQ(message({{"format", "uri"}}), "schema: unsupported keyword 'format'");
  EXPECT_EQ(message(R"({"properties": {"a": {"$ref": "#/x"}}})"_json),
            "schema.properties.a: unsupported keyword '$ref'");
  EXPECT_EQ(message({{"type", "float"}}), "schema.type: unknown type \"float\"");
  EXPECT_EQ(message({{"type", json::array({"string", "string"})}}), "schema.type: repeats \"string\"");
  EXPECT_EQ(message({{"type", json::array()}}), "schema.type: must name at least one type");
  EXPECT_EQ(message({{"minLength", -1}}), "schema.minLength: must be a non-negative integer");
  EXPECT_EQ(message({{"maxItems", 1.5}}), "schema.maxItems: must be a non-negative integer");
  EXPECT_EQ(message({{"minimum", "1"}}), "schema.minimum: must be a number");
  EXPECT_EQ(message({{"oneOf", json::array()}}), "schema.oneOf: must be a non-empty array of schemas");
  EXPECT_EQ(message({{"anyOf", json::array({1})}}), "schema.anyOf[0]: a schema must be a JSON object");
  EXPECT_EQ(message({{"enum", json::array()}}), "schema.enum: must be a non-empty array");
  EXPECT_EQ(message({{"required", json::array({"a", "a"})}}), "schema.required: repeats \"a\"");
  EXPECT_EQ(message({{"additionalProperties", {{"bogus", 1}}}}),
            "schema.additionalProperties: unsupported keyword 'bogus'");
  EXPECT_EQ(message(json("string")), "schema: a schema must be a JSON object");
  EXPECT_NE(message({{"pattern", "(a"}}).find("schema.pattern: is not a supported regex"), std::string::npos);
  // Back-references would need the recursive regex executor (see schema.cpp).
  EXPECT_NE(message({{"pattern", "(a)\\1"}}).find("schema.pattern: is not a supported regex"),
            std::string::npos);
}

TEST(SchemaViolation, Types) {
  EXPECT_EQ(violation({{"type", "integer"}}, 1.0), "params.x: expected integer, got number");
  EXPECT_EQ(violation({{"type", "integer"}}, 7), "");
  EXPECT_EQ(violation({{"type", "number"}}, 7), "");
  EXPECT_EQ(violation({{"type", json::array({"string", "null"})}}, nullptr), "");
  EXPECT_EQ(violation({{"type", json::array({"string", "null"})}}, true),
            "params.x: expected string or null, got boolean");
  EXPECT_EQ(violation({{"type", "object"}}, json::array()), "params.x: expected object, got array");
}

TEST(SchemaViolation, OneOfNamesTheTypesExpected) {
  EXPECT_EQ(violation(kBlockSelector, true), "params.x: expected integer or string, got boolean");
  EXPECT_EQ(violation(kBlockSelector, 0), "");
  EXPECT_EQ(violation(kBlockSelector, -1), "params.x: -1 is below the minimum 0");
  EXPECT_EQ(violation(kBlockSelector, std::string(64, 'a')), "");
  EXPECT_EQ(violation(kBlockSelector, std::string(63, 'a')),
            "params.x: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... does not match ^[0-9a-f]{64}$");
  const json both = R"({"oneOf": [{"type": "integer"}, {"type": "number"}]})"_json;
  EXPECT_EQ(violation(both, 3), "params.x: 3 matches more than one option of oneOf");
  EXPECT_EQ(violation(both, 3.5), "");
  const json any = R"({"anyOf": [{"type": "integer"}, {"type": "number"}]})"_json;
  EXPECT_EQ(violation(any, 3), "");
  EXPECT_EQ(violation(any, "3"), "params.x: expected integer or number, got string");
}

TEST(SchemaViolation, StringBoundsAtTheBoundary) {
  const json schema = {{"type", "string"}, {"minLength", 2}, {"maxLength", 3}};
  EXPECT_EQ(violation(schema, "a"), "params.x: shorter than 2 characters");
  EXPECT_EQ(violation(schema, "ab"), "");
  EXPECT_EQ(violation(schema, "abc"), "");
  EXPECT_EQ(violation(schema, "abcd"), "params.x: longer than 3 characters");
  EXPECT_EQ(violation(schema, "\xC3\xA9\xC3\xA9\xC3\xA9"), "");  // three code points, six bytes
}

TEST(SchemaViolation, PatternsAreUnanchoredSearches) {
  EXPECT_EQ(violation(kAmount, "5000000000"), "");
  EXPECT_EQ(violation(kAmount, "0"), "");
  EXPECT_EQ(violation(kAmount, "05"), "params.x: \"05\" does not match ^(0|[1-9][0-9]*)$");
  EXPECT_EQ(violation(kAmount, "1.5"), "params.x: \"1.5\" does not match ^(0|[1-9][0-9]*)$");
  EXPECT_EQ(violation({{"pattern", "b"}}, "abc"), "");
}

TEST(SchemaViolation, LongStringsDoNotExhaustTheStack) {
  // A raw transaction's hex: std::regex's default executor would recurse once per character
  // and overflow the stack long before this size.
  const json hex = {{"type", "string"}, {"pattern", "^[0-9a-f]*$"}};
  const std::string big(1024 * 1024, 'a');
  EXPECT_EQ(violation(hex, big), "");
  EXPECT_NE(violation(hex, big + "g"), "");
}

TEST(SchemaViolation, NumbersAtTheBoundary) {
  const json schema = {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}};
  EXPECT_EQ(violation(schema, 0), "params.x: 0 is below the minimum 1");
  EXPECT_EQ(violation(schema, 1), "");
  EXPECT_EQ(violation(schema, 1000), "");
  EXPECT_EQ(violation(schema, 1001), "params.x: 1001 is above the maximum 1000");
  EXPECT_EQ(violation(schema, json(18446744073709551615ULL)),
            "params.x: 18446744073709551615 is above the maximum 1000");
  EXPECT_EQ(violation(schema, json(-9223372036854775807LL)),
            "params.x: -9223372036854775807 is below the minimum 1");
  const json signed_range = {{"minimum", -5}, {"maximum", 2.5}};
  EXPECT_EQ(violation(signed_range, -5), "");
  EXPECT_EQ(violation(signed_range, -6), "params.x: -6 is below the minimum -5");
  EXPECT_EQ(violation(signed_range, 2.5), "");
  EXPECT_EQ(violation(signed_range, 3), "params.x: 3 is above the maximum 2.5");
}

TEST(SchemaViolation, EnumAndConst) {
  const json schema = {{"enum", json::array({"none", "ids", "full"})}};
  EXPECT_EQ(violation(schema, "ids"), "");
  EXPECT_EQ(violation(schema, "all"), "params.x: expected one of \"none\", \"ids\" or \"full\", got \"all\"");
  EXPECT_EQ(violation({{"const", 2}}, 3), "params.x: expected 2, got 3");
}

TEST(SchemaViolation, ArraysAtTheBoundary) {
  const json schema = {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}, {"maxItems", 2}};
  EXPECT_EQ(violation(schema, json::array()), "params.x: fewer than 1 items");
  EXPECT_EQ(violation(schema, json::array({"a", "b"})), "");
  EXPECT_EQ(violation(schema, json::array({"a", "b", "c"})), "params.x: more than 2 items");
  EXPECT_EQ(violation(schema, json::array({"a", 1})), "params.x[1]: expected string, got integer");
}

TEST(SchemaViolation, ObjectsNameTheMember) {
  const json schema = {{"type", "object"},
                       {"properties", {{"txid", {{"type", "string"}}}, {"index", {{"type", "integer"}}}}},
                       {"required", json::array({"txid"})},
                       {"additionalProperties", false}};
  EXPECT_EQ(violation(schema, {{"txid", "ab"}, {"index", 1}}), "");
  EXPECT_EQ(violation(schema, {{"index", 1}}), "params.x: missing txid");
  EXPECT_EQ(violation(schema, {{"txid", "ab"}, {"index", "1"}}),
            "params.x.index: expected integer, got string");
  EXPECT_EQ(violation(schema, {{"txid", "ab"}, {"extra", 1}}), "params.x: unexpected member 'extra'");
  const json typed_extra = {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}};
  EXPECT_EQ(violation(typed_extra, {{"a", 1}}), "");
  EXPECT_EQ(violation(typed_extra, {{"a", "1"}}), "params.x.a: expected integer, got string");
  EXPECT_EQ(violation({{"type", "object"}}, {{"anything", 1}}), "");
}

TEST(SchemaViolation, MessagesElideLongValues) {
  const std::string message = violation({{"enum", json::array({1})}}, std::string(10000, 'z'));
  EXPECT_LT(message.size(), 100u);
}

}  // namespace
}  // namespace cairn::rpc
