#include "adu/core/log_fields.h"

namespace adu {
namespace {
thread_local const LogFields* current_fields = nullptr;
}  // namespace

const LogFields* CurrentLogFields() { return current_fields; }

ScopedLogFields::ScopedLogFields(const LogFields& fields) : previous_(current_fields) {
  current_fields = &fields;
}

ScopedLogFields::~ScopedLogFields() { current_fields = previous_; }

}  // namespace adu
