// The service's own OpenAPI document (docs/api/<service>.yaml) as JSON, embedded
// at build time (cmake/openapi_to_cpp.py): GET /openapi.json answers it. Each
// executable links the definition generated from its own document.
#pragma once

#include <string_view>

namespace svc {

std::string_view openapi_document();

}  // namespace svc
