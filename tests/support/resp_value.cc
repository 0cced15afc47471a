// resp_value.cc: RESP reply parsing and display for tests (tests/support).
#include "resp_value.h"

#include <cstdlib>

namespace mnemo::test {

namespace {

int64_t ParseLine(std::string_view data, size_t at, std::string_view* line) {
  const size_t crlf = data.find("\r\n", at);
  if (crlf == std::string_view::npos) return 0;
  *line = data.substr(at, crlf - at);
  return static_cast<int64_t>(crlf + 2);
}

int64_t ParseAt(std::string_view data, size_t at, RespValue* out) {
  if (at >= data.size()) return 0;
  const char type = data[at];
  std::string_view line;
  const int64_t after = ParseLine(data, at + 1, &line);
  if (after == 0) return 0;
  const std::string text(line);
  switch (type) {
    case '+':
      out->type = RespValue::Type::kSimple;
      out->str = text;
      return after;
    case '-':
      out->type = RespValue::Type::kError;
      out->str = text;
      return after;
    case ':':
      out->type = RespValue::Type::kInteger;
      out->integer = std::strtoll(text.c_str(), nullptr, 10);
      return after;
    case '_':
      out->type = RespValue::Type::kNull;
      return after;
    case ',':
      out->type = RespValue::Type::kDouble;
      out->str = text;
      return after;
    case '(':
      out->type = RespValue::Type::kBigNumber;
      out->str = text;
      return after;
    case '#':
      out->type = RespValue::Type::kBool;
      out->integer = text == "t" ? 1 : 0;
      return after;
    case '$':
    case '=': {
      const int64_t len = std::strtoll(text.c_str(), nullptr, 10);
      if (len < 0) {
        out->type = RespValue::Type::kNull;
        return after;
      }
      if (data.size() < static_cast<size_t>(after + len + 2)) return 0;
      out->str = std::string(data.substr(static_cast<size_t>(after), static_cast<size_t>(len)));
      out->type = type == '$' ? RespValue::Type::kBulk : RespValue::Type::kVerbatim;
      if (type == '=' && out->str.size() >= 4) out->str = out->str.substr(4);
      return after + len + 2;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      int64_t n = std::strtoll(text.c_str(), nullptr, 10);
      if (n < 0) {
        out->type = RespValue::Type::kNull;
        return after;
      }
      out->type = type == '*'   ? RespValue::Type::kArray
                  : type == '~' ? RespValue::Type::kSet
                  : type == '>' ? RespValue::Type::kPush
                                : RespValue::Type::kMap;
      if (type == '%') n *= 2;
      int64_t pos = after;
      for (int64_t i = 0; i < n; ++i) {
        RespValue v;
        const int64_t r = ParseAt(data, static_cast<size_t>(pos), &v);
        if (r <= 0) return r;
        out->elements.push_back(std::move(v));
        pos = r;
      }
      return pos;
    }
    default:
      return -1;
  }
}

}  // namespace

int64_t ParseResp(std::string_view data, RespValue* out) {
  *out = RespValue{};
  return ParseAt(data, 0, out);
}

std::vector<RespValue> ParseAllResp(std::string_view data) {
  std::vector<RespValue> out;
  size_t pos = 0;
  while (pos < data.size()) {
    RespValue v;
    const int64_t r = ParseAt(data, pos, &v);
    if (r <= 0) break;
    out.push_back(std::move(v));
    pos = static_cast<size_t>(r);
  }
  return out;
}

std::string RespValue::ToString() const {
  switch (type) {
    case Type::kSimple:
    case Type::kBulk:
    case Type::kVerbatim:
    case Type::kDouble:
    case Type::kBigNumber:
      return str;
    case Type::kError:
      return "(error) " + str;
    case Type::kInteger:
      return std::to_string(integer);
    case Type::kBool:
      return integer ? "true" : "false";
    case Type::kNull:
      return "(nil)";
    case Type::kMap: {
      std::string s = "{";
      for (size_t i = 0; i + 1 < elements.size(); i += 2) {
        if (i > 0) s += ", ";
        s += elements[i].ToString() + ": " + elements[i + 1].ToString();
      }
      return s + "}";
    }
    default: {
      std::string s = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) s += ", ";
        s += elements[i].ToString();
      }
      return s + "]";
    }
  }
}

std::string EncodeRequest(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) {
    out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  return out;
}

}  // namespace mnemo::test
