#include "core/common/json.h"

namespace cdp::json {

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string quote(std::string_view s) { return dump(Json(std::string(s))); }

}  // namespace cdp::json
