// resp_value.h: a parsed RESP2/RESP3 reply, for tests (tests/support).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mnemo::test {

// `argv` as one RESP multibulk request.
std::string EncodeRequest(const std::vector<std::string>& argv);

struct RespValue {
  enum class Type {
    kSimple,
    kError,
    kInteger,
    kBulk,
    kNull,
    kArray,
    kMap,
    kSet,
    kDouble,
    kBool,
    kVerbatim,
    kPush,
    kBigNumber,
  };
  Type type = Type::kNull;
  std::string str;                  // simple, error, bulk, verbatim (without "txt:"), double text
  int64_t integer = 0;              // integer, bool (0/1)
  std::vector<RespValue> elements;  // array, set, push; map as k1, v1, k2, v2, ...

  bool IsError() const { return type == Type::kError; }
  bool IsNull() const { return type == Type::kNull; }
  bool IsString() const {
    return type == Type::kSimple || type == Type::kBulk || type == Type::kVerbatim;
  }
  bool IsArray() const { return type == Type::kArray || type == Type::kSet || type == Type::kPush; }
  size_t size() const { return elements.size(); }
  const RespValue& operator[](size_t i) const { return elements.at(i); }

  // A compact display: strings as they are, errors "(error) ...", integers as digits, null
  // "(nil)", arrays "[a, b]", maps "{k: v}". Meant for EXPECT_EQ in tests.
  std::string ToString() const;
};

// Parses one reply from the front of `data`. Returns the bytes consumed, 0 if `data` holds an
// incomplete reply, or -1 if it is malformed.
int64_t ParseResp(std::string_view data, RespValue* out);

// Parses every reply in `data` (which must be complete).
std::vector<RespValue> ParseAllResp(std::string_view data);

}  // namespace mnemo::test
