// args.cc: argument parsing helpers (layer: cmd).
#include "mnemo/cmd/args.h"

#include <limits>

#include "mnemo/base/numbers.h"

namespace mnemo::cmd {

std::optional<int64_t> IntArg(Context& ctx, std::string_view arg, std::string_view error) {
  auto v = ParseInt64(arg);
  if (!v) ctx.reply.Error(error);
  return v;
}

std::optional<int> CIntArg(Context& ctx, std::string_view arg, std::string_view error) {
  auto n = ParseInt64(arg);
  if (!n) {
    ctx.reply.Error(error.empty() ? protocol::kErrNotInteger : error);
    return std::nullopt;
  }
  if (*n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max()) {
    ctx.reply.Error(error.empty() ? protocol::kErrIntRange : error);
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

std::optional<int64_t> RangedIntArg(Context& ctx, std::string_view arg, int64_t min,
                                    int64_t max, std::string_view error) {
  auto v = ParseInt64(arg);
  if (!v || *v < min || *v > max) {
    ctx.reply.Error(error);
    return std::nullopt;
  }
  return v;
}

std::optional<double> DoubleArg(Context& ctx, std::string_view arg) {
  auto v = ParseDouble(arg);
  if (!v) ctx.reply.Error(protocol::kErrNotFloat);
  return v;
}

std::optional<long double> LongDoubleArg(Context& ctx, std::string_view arg) {
  auto v = ParseLongDouble(arg);
  if (!v) ctx.reply.Error(protocol::kErrNotFloat);
  return v;
}

bool WrongType(Context& ctx, const db::Object* o, db::ObjType type) {
  if (o == nullptr || o->type() == type) return false;
  ctx.reply.Error(protocol::kErrWrongType);
  return true;
}

}  // namespace mnemo::cmd
