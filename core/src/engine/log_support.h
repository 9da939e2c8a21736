// Log fields of one operation, as every part of the engine attaches them.
#pragma once

#include <string>

#include "adu/core/domain.h"
#include "adu/core/log_fields.h"

namespace adu::engine {

inline LogFields FieldsFor(const OperationKey& key) {
  LogFields f;
  f.operation_id = key.id;
  f.kind = std::string(KindName(key.kind));
  return f;
}

}  // namespace adu::engine
