// The subset of JSON Schema (draft 2020-12 keywords, as OpenRPC 1.2.6 embeds them) that
// Cairn's method specs use, and a validator for it. Supported keywords: type (one name or a
// list; "integer" means a JSON integer), enum, const, properties, required,
// additionalProperties (boolean or schema), items, minItems, maxItems, minimum, maximum,
// minLength, maxLength, pattern (ECMAScript regex via std::regex), oneOf, anyOf, title,
// description, examples. Any other keyword is refused by check_schema() so that a spec can
// never rely on a rule that is silently not enforced.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace cairn::rpc {

// Ok when `schema` uses only the supported keywords, well-formed.
Status check_schema(const nlohmann::json& schema);

// Nullopt when `value` satisfies `schema`; otherwise the first violation, naming the
// location under `path` ("params.block: expected integer or string, got boolean").
std::optional<std::string> schema_violation(const nlohmann::json& schema, const nlohmann::json& value,
                                            std::string_view path);

}  // namespace cairn::rpc
