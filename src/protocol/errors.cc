// errors.cc: the error texts that carry arguments (layer: protocol).
#include "mnemo/protocol/errors.h"

#include "mnemo/base/strings.h"

namespace mnemo::protocol {

namespace {

// Redis sanitizes argument text echoed in errors: newlines would break the protocol.
std::string Sanitize(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string ProtoExpectedDollar(char got) {
  return std::string("ERR Protocol error: expected '$', got '") + got + "'";
}

std::string UnknownCommand(std::string_view name, const std::string_view* args, size_t nargs) {
  std::string out =
      "ERR unknown command '" + Sanitize(name.substr(0, 128)) + "', with args beginning with: ";
  std::string list;
  for (size_t i = 0; i < nargs && list.size() < 128; ++i) {
    const size_t room = 128 - list.size();
    list.push_back('\'');
    list.append(Sanitize(args[i].substr(0, room)));
    list.append("' ");
  }
  return out + list;
}

std::string UnknownSubcommand(std::string_view command, std::string_view sub) {
  return "ERR unknown subcommand '" + Sanitize(sub.substr(0, 128)) + "'. Try " + ToUpper(command) +
         " HELP.";
}

std::string SubcommandSyntax(std::string_view command, std::string_view sub) {
  return "ERR unknown subcommand or wrong number of arguments for '" +
         Sanitize(sub.substr(0, 128)) + "'. Try " + ToUpper(command) + " HELP.";
}

std::string InvalidExpireTime(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

std::string UnsupportedOption(std::string_view option) {
  return "ERR Unsupported option " + std::string(option);
}

std::string OutOfRange(int64_t min, int64_t max) {
  return "ERR value is out of range, must be between " + std::to_string(min) + " and " +
         std::to_string(max);
}

std::string WrongArity(std::string_view name) {
  return "ERR wrong number of arguments for '" + ToLower(name) + "' command";
}

std::string AtLeastOneInputKey(std::string_view name) {
  return "ERR at least 1 input key is needed for '" + ToLower(name) + "' command";
}

}  // namespace mnemo::protocol
