// value.cc: dispatch of generic value operations to the type modules (layer: db).
#include "mnemo/db/value.h"

#include "mnemo/db/set_type.h"
#include "mnemo/db/string_type.h"

namespace mnemo::db {

void FreeValue(const ValueRef& v) {
  switch (v.type) {
    case ObjType::kString: FreeStringValue(v); return;
    case ObjType::kSet: FreeSetValue(v); return;
    default: MNEMO_ASSERT(false && "FreeValue: type not implemented");
  }
}

size_t FreeEffort(const ValueRef& v) {
  switch (v.type) {
    case ObjType::kString: return 1;
    case ObjType::kSet: return SetFreeEffort(v);
    default: return 1;
  }
}

size_t ValueMemoryUsage(const ValueRef& v, size_t samples) {
  switch (v.type) {
    case ObjType::kString: return StringValueMemory(v);
    case ObjType::kSet: return SetValueMemory(v, samples);
    default: return 0;
  }
}

uint64_t DuplicateValue(const ValueRef& v) {
  switch (v.type) {
    case ObjType::kString: return DuplicateStringValue(v);
    case ObjType::kSet: return DuplicateSetValue(v);
    default: MNEMO_ASSERT(false && "DuplicateValue: type not implemented");
  }
  return 0;
}

void FreeObject(Object* o) {
  FreeValue(ValueOf(*o));
  Object::Destroy(o);
}

}  // namespace mnemo::db
