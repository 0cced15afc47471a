// reply_builder.h: writes replies in RESP2 or RESP3 into an output buffer (layer: protocol).
//
// Handlers describe replies by shape (map, set, double, null) and the builder spells them for the
// client's protocol version: a map is "%n" in RESP3 and an array of 2n in RESP2, a double is
// ",1.5" in RESP3 and a bulk string in RESP2, null is "_" or "$-1"/"*-1".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mnemo/base/function_ref.h"

namespace mnemo::protocol {

class ReplyBuilder {
 public:
  ReplyBuilder() = default;
  ReplyBuilder(const ReplyBuilder&) = delete;
  ReplyBuilder& operator=(const ReplyBuilder&) = delete;

  int resp() const { return resp_; }
  void set_resp(int version) { resp_ = version; }

  void SimpleString(std::string_view s);
  void Ok() { Raw("+OK\r\n"); }
  // `message` includes its code ("ERR ...", "WRONGTYPE ..."); '-' is added, and CR/LF inside
  // the message become spaces so that a message cannot break the protocol.
  void Error(std::string_view message);
  // An error reply that the error statistics already counted where it arose (a script returning
  // the error of a command it ran: Redis ERR_REPLY_FLAG_NO_STATS_UPDATE). error_count() does not
  // move; uncounted_error_count() does.
  void ErrorUncounted(std::string_view message);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // A bulk string of n bytes the caller writes itself, straight into the output buffer: returns
  // where they go, valid until the next call on the builder (a value decompressed in place).
  char* BulkSpace(size_t n);
  // Null bulk: RESP2 "$-1", RESP3 "_".
  void Null();
  // Null array: RESP2 "*-1", RESP3 "_".
  void NullArray();
  void ArrayHeader(size_t n);
  // n key/value pairs follow.
  void MapHeader(size_t n);
  void SetHeader(size_t n);
  void PushHeader(size_t n);
  // %.17g as Redis's addReplyDouble; "inf"/"-inf" for infinities.
  void Double(double d);
  // A double in Redis's d2string human form (integral values without exponent), as a bulk in
  // RESP2 and a double in RESP3.
  void HumanDouble(double d);
  // A long double in Redis's ld2string human form (%.17Lf, trailing zeros removed), as a bulk in
  // RESP2 and a double in RESP3 (Redis addReplyHumanLongDouble: GEOPOS, WITHCOORD).
  void HumanLongDouble(long double d);
  void Bool(bool b);
  // Verbatim string (INFO, CLIENT LIST in RESP3); a bulk string in RESP2.
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void EmptyArray() { Raw("*0\r\n"); }
  // Bytes already in RESP form.
  void Raw(std::string_view bytes) { out_.append(bytes); }

  // For replies whose element count is known only at the end: Begin returns a handle, the
  // elements are added, and End writes the header in front of them.
  size_t BeginDeferred() const { return out_.size(); }
  void EndDeferredArray(size_t handle, size_t n);
  void EndDeferredMap(size_t handle, size_t pairs);
  void EndDeferredSet(size_t handle, size_t n);

  // The pending output.
  std::string& buffer() { return out_; }
  const std::string& buffer() const { return out_; }
  size_t size() const { return out_.size(); }
  // Calls fn(bytes) once for every heap block the builder holds (the output buffer, the last
  // error code), with the size it asked the allocator for.
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

  // A ceiling for replies whose length the client chooses (0: none). Loops that emit such a
  // reply (random picks with repetition) stop once the pending output is past it, and the
  // connection closes the client instead of sending it (Redis stops them on CLIENT_CLOSE_ASAP).
  void set_ceiling(size_t bytes) { ceiling_ = bytes; }
  bool over_ceiling() const { return ceiling_ != 0 && out_.size() > ceiling_; }
  // Set by such a loop when it stopped at the ceiling: the reply is incomplete and must not be
  // sent.
  void MarkCutShort() { cut_short_ = true; }
  bool cut_short() const { return cut_short_; }

  // Errors written since start: the dispatcher counts failed calls and error codes with it.
  uint64_t error_count() const { return error_count_; }
  uint64_t uncounted_error_count() const { return uncounted_error_count_; }
  // The code of the last error ("ERR", "WRONGTYPE", ...).
  std::string_view last_error_code() const { return last_error_code_; }

 private:
  void Header(char type, int64_t n);
  void InsertHeader(size_t at, char type, size_t n);

  std::string out_;
  size_t ceiling_ = 0;
  bool cut_short_ = false;
  int resp_ = 2;
  uint64_t error_count_ = 0;
  uint64_t uncounted_error_count_ = 0;
  std::string last_error_code_;
};

}  // namespace mnemo::protocol
