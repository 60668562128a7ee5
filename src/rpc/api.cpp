#include "rpc/api.h"

namespace cairn::rpc {

const char* to_string(MethodGroup group) { return group == MethodGroup::admin_group ? "admin" : "public"; }

}  // namespace cairn::rpc
