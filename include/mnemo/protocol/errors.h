// errors.h: every error text a client can see, spelled exactly as Redis spells it
// (layer: protocol). Texts omit the leading '-'; ReplyBuilder::Error adds it.
#pragma once

#include <string>
#include <string_view>

namespace mnemo::protocol {

inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrNoSuchKey = "ERR no such key";
inline constexpr std::string_view kErrIndexOutOfRange = "ERR index out of range";
inline constexpr std::string_view kErrOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kErrIncrFloatNanInf =
    "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kErrDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kErrInvalidDbIndex = "ERR invalid DB index";
inline constexpr std::string_view kErrSameObject =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kErrStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kErrBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kErrBit = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kErrOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kErrOutOfRangePositive =
    "ERR value is out of range, must be positive";
// Redis getRangeLongFromObjectOrReply for [-LONG_MAX, LONG_MAX] (SRANDMEMBER count).
inline constexpr std::string_view kErrOutOfRangeSymmetricLong =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr std::string_view kErrInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kErrNumkeysPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kErrNumkeysTooMany =
    "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view kErrLimitNegative = "ERR LIMIT can't be negative";
inline constexpr std::string_view kErrBitposBit = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kErrBitopNot =
    "ERR BITOP NOT must be called with a single source key.";
inline constexpr std::string_view kErrBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr std::string_view kErrBitfieldOverflowType = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kErrBitfieldRoWrite =
    "ERR BITFIELD_RO only supports the GET subcommand";
inline constexpr std::string_view kErrNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kErrWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kErrAuthNoPassword =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
inline constexpr std::string_view kErrOom =
    "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kErrNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kErrMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kErrTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kErrXxNxGtLt =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr std::string_view kErrNxAndXxGtLt =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kErrDebugDisabled =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";

// Protocol errors: the connection is closed after the reply.
inline constexpr std::string_view kErrProtoInvalidMultibulkLength =
    "ERR Protocol error: invalid multibulk length";
inline constexpr std::string_view kErrProtoInvalidBulkLength =
    "ERR Protocol error: invalid bulk length";
inline constexpr std::string_view kErrProtoTooBigInline =
    "ERR Protocol error: too big inline request";
inline constexpr std::string_view kErrProtoTooBigMbulkCount =
    "ERR Protocol error: too big mbulk count string";
inline constexpr std::string_view kErrProtoTooBigBulkCount =
    "ERR Protocol error: too big bulk count string";
inline constexpr std::string_view kErrProtoUnbalancedQuotes =
    "ERR Protocol error: unbalanced quotes in request";
inline constexpr std::string_view kErrProtoUnauthMultibulk =
    "ERR Protocol error: unauthenticated multibulk length";
inline constexpr std::string_view kErrProtoUnauthBulk =
    "ERR Protocol error: unauthenticated bulk length";
// "ERR Protocol error: expected '$', got 'X'"
std::string ProtoExpectedDollar(char got);

// "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
std::string UnknownCommand(std::string_view name, const std::string_view* args, size_t nargs);
// "ERR unknown subcommand 'foo'. Try CLIENT HELP."
std::string UnknownSubcommand(std::string_view command, std::string_view sub);
// "ERR invalid expire time in 'set' command"
std::string InvalidExpireTime(std::string_view command);
// "ERR wrong number of arguments for 'get' command" (name in lower case; "client|id" for
// subcommands).
std::string WrongArity(std::string_view name);

}  // namespace mnemo::protocol
