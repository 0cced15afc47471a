// strings.h: small string helpers shared by the protocol, commands and config (layer: base).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mnemo {

// ASCII case-insensitive equality (command names, options such as "NX").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

// Splits a line into arguments as redis.conf and inline commands do (Redis sdssplitargs):
// words separated by blanks; "double quotes" with \n \r \t \b \a \\ \" and \xHH escapes;
// 'single quotes' with \' only. A closing quote must be followed by a blank or the end.
// Returns nullopt on unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

// The heap block a std::string owns, as the size it asked the allocator for (capacity + 1 for
// the terminator), or 0 when its characters live inside the object (the short-string buffer).
// Memory reports round this to the allocator's size class.
inline size_t StringHeapRequest(const std::string& s) {
  const std::string empty;
  return s.capacity() > empty.capacity() ? s.capacity() + 1 : 0;
}

// Quotes s for display the way Redis's sdscatrepr does: "..." with non-printables escaped.
std::string QuoteRepr(std::string_view s);

}  // namespace mnemo
