// value.cc: dispatch of generic value operations to the type modules (layer: db).
#include "mnemo/db/value.h"

#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/stream_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/zset_type.h"

namespace mnemo::db {

bool ValueIsEmpty(const Object& o) {
  switch (o.type()) {
    case ObjType::kHash:
      return HashLength(o) == 0;
    case ObjType::kList:
      return ListLength(o) == 0;
    case ObjType::kZset:
      return ZsetLength(o) == 0;
    case ObjType::kSet:
      return SetSize(o) == 0;
    case ObjType::kStream:
      return false;  // an empty stream is kept (XDEL, XTRIM, MKSTREAM)
    default:
      return false;
  }
}

void FreeValue(const ValueRef& v) {
  if (v.word == 0) return;  // in the object (ValueOf)
  switch (v.type) {
    case ObjType::kString:
      FreeStringValue(v);
      return;
    case ObjType::kHash:
      FreeHashValue(v);
      return;
    case ObjType::kList:
      FreeListValue(v);
      return;
    case ObjType::kZset:
      FreeZsetValue(v);
      return;
    case ObjType::kSet:
      FreeSetValue(v);
      return;
    case ObjType::kStream:
      FreeStreamValue(v);
      return;
    default:
      MNEMO_ASSERT(false && "FreeValue: type not implemented");
  }
}

uint64_t DefragValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements) {
  if (v.word == 0) {  // in the object, which moves with its slot
    *cursor = 0;
    return 0;
  }
  switch (v.type) {
    case ObjType::kString:
      return DefragStringValue(v, first, cursor, max_elements);
    case ObjType::kHash:
      return DefragHashValue(v, first, cursor, max_elements);
    case ObjType::kList:
      return DefragListValue(v, first, cursor, max_elements);
    case ObjType::kZset:
      return DefragZsetValue(v, first, cursor, max_elements);
    case ObjType::kSet:
      return DefragSetValue(v, first, cursor, max_elements);
    case ObjType::kStream:
      return DefragStreamValue(v, first, cursor, max_elements);
    default:
      *cursor = 0;
      return v.word;
  }
}

size_t FreeEffort(const ValueRef& v) {
  if (v.word == 0) return 1;
  switch (v.type) {
    case ObjType::kString:
      return 1;
    case ObjType::kHash:
      return HashFreeEffort(v);
    case ObjType::kList:
      return ListFreeEffort(v);
    case ObjType::kZset:
      return ZsetFreeEffort(v);
    case ObjType::kSet:
      return SetFreeEffort(v);
    case ObjType::kStream:
      return StreamFreeEffort(v);
    default:
      return 1;
  }
}

size_t ValueMemoryUsage(const ValueRef& v, size_t samples) {
  if (v.word == 0) return 0;  // counted in the object's slot
  switch (v.type) {
    case ObjType::kString:
      return StringValueMemory(v);
    case ObjType::kHash:
      return HashValueMemory(v, samples);
    case ObjType::kList:
      return ListValueMemory(v, samples);
    case ObjType::kZset:
      return ZsetValueMemory(v, samples);
    case ObjType::kSet:
      return SetValueMemory(v, samples);
    case ObjType::kStream:
      return StreamValueMemory(v, samples);
    default:
      return 0;
  }
}

uint64_t DuplicateValue(const ValueRef& v) {
  if (v.word == 0) return 0;
  switch (v.type) {
    case ObjType::kString:
      return DuplicateStringValue(v);
    case ObjType::kHash:
      return DuplicateHashValue(v);
    case ObjType::kList:
      return DuplicateListValue(v);
    case ObjType::kZset:
      return DuplicateZsetValue(v);
    case ObjType::kSet:
      return DuplicateSetValue(v);
    case ObjType::kStream:
      return DuplicateStreamValue(v);
    default:
      MNEMO_ASSERT(false && "DuplicateValue: type not implemented");
  }
  return 0;
}

void FreeObject(Object* o) {
  FreeValue(ValueOf(*o));
  Object::Destroy(o);
}

Object::ValueInit DuplicateValueInit(const Object& o) {
  Object::ValueInit v = o.value_init();
  if (v.encoding == Encoding::kEmbstr || o.has_inline_listpack()) return v;
  if (v.encoding == Encoding::kInt) {
    v.shared = false;
    return v;
  }
  v.word = DuplicateValue(ValueOf(o));
  return v;
}

}  // namespace mnemo::db
