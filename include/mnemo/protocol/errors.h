// errors.h: every error text a client can see, spelled exactly as Redis spells it
// (layer: protocol). Texts omit the leading '-'; ReplyBuilder::Error adds it.
#pragma once

#include <cstdint>
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
inline constexpr std::string_view kErrDecrementOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kErrIncrFloatNanInf =
    "ERR increment would produce NaN or Infinity";
// Hashes (HINCRBY, HINCRBYFLOAT).
inline constexpr std::string_view kErrHashNotInteger = "ERR hash value is not an integer";
inline constexpr std::string_view kErrHashNotFloat = "ERR hash value is not a float";
// An increment that is itself NaN or infinite (HINCRBYFLOAT).
inline constexpr std::string_view kErrValueNanInf = "ERR value is NaN or Infinity";
// A count that could overflow the reply (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER).
inline constexpr std::string_view kErrValueOutOfRange = "ERR value is out of range";
// A count outside [-LONG_MAX, LONG_MAX] (Redis getRangeLongFromObjectOrReply for the *RAND*
// commands' counts).
inline constexpr std::string_view kErrCountOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
// SCAN family cursors.
inline constexpr std::string_view kErrInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kErrDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kErrInvalidDbIndex = "ERR invalid DB index";
inline constexpr std::string_view kErrSameObject =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kErrStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kErrBitOffset =
    "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kErrBit = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kErrOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kErrLcsNotStrings =
    "ERR The specified keys must contain string values";
inline constexpr std::string_view kErrLcsLenAndIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kErrLcsTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kErrLcsOverLimit =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kErrLcsAllocFailed =
    "ERR Insufficient memory, failed allocating transient memory for LCS";
inline constexpr std::string_view kErrNumkeysTooMany =
    "ERR Number of keys can't be greater than number of args";
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
// ACL (Redis 7.0 processCommand and execCommand).
inline constexpr std::string_view kErrNoPermKeys =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr std::string_view kErrNoPermChannels =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
// SORT's BY (with a '*') and GET patterns reach any key: refused unless the user may read every
// key.
inline constexpr std::string_view kErrSortByNoPerm =
    "ERR BY option of SORT denied due to insufficient ACL permissions.";
inline constexpr std::string_view kErrSortGetNoPerm =
    "ERR GET option of SORT denied due to insufficient ACL permissions.";
// In cluster mode the patterns may name keys of other slots: refused outright (Redis 7.0).
inline constexpr std::string_view kErrSortByCluster = "ERR BY option of SORT denied in Cluster mode.";
inline constexpr std::string_view kErrSortGetCluster =
    "ERR GET option of SORT denied in Cluster mode.";
inline constexpr std::string_view kErrAclChangedPrefix =
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
    "call. This command is no longer allowed for the following reason: ";
inline constexpr std::string_view kErrDefaultUserCannotBeRemoved =
    "ERR The 'default' user cannot be removed";
inline constexpr std::string_view kErrNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";
inline constexpr std::string_view kErrAclSave =
    "ERR There was an error trying to save the ACLs. Please check the server logs for more "
    "information";
inline constexpr std::string_view kErrGenpassBits =
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
    "number up to 4096";
inline constexpr std::string_view kErrOom =
    "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kErrNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kErrMaxClients = "ERR max number of clients reached";
// Protected mode: a client from outside the loopback interface while the default user has no
// password (Redis 7.0's text, naming Mnemo where Redis names itself; "Setup a an" is Redis's).
inline constexpr std::string_view kErrProtectedMode =
    "DENIED Mnemo is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Mnemo you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Mnemo from the same "
    "host the server is running, however MAKE SURE Mnemo is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Mnemo configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to "
    "do one of the above things in order for the server to start accepting connections from the "
    "outside.";
inline constexpr std::string_view kErrTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kErrXxNxGtLt =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr std::string_view kErrNxAndXxGtLt =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
// ---- observability: MONITOR, SLOWLOG, LATENCY, WAIT ----
// A command that reads or writes keys from a MONITOR client (Redis treats monitors as replicas).
inline constexpr std::string_view kErrReplicaKeyspace =
    "ERR Replica can't interact with the keyspace";
// MONITOR inside EXEC or a script (Redis: clients that must get a reply per command).
inline constexpr std::string_view kErrMonitorDenyBlocking =
    "ERR MONITOR isn't allowed for DENY BLOCKING client";
inline constexpr std::string_view kErrSlowlogCount =
    "ERR count should be greater than or equal to -1";
inline constexpr std::string_view kErrTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kErrTimeoutOutOfRange = "ERR timeout is out of range";
// An integer argument outside a C int (Redis getIntFromObjectOrReply without a message).
inline constexpr std::string_view kErrIntRange =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kErrInvalidFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kErrInvalidSecondDbIndex = "ERR invalid second DB index";
inline constexpr std::string_view kErrLfuIdleTime =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr std::string_view kErrLfuNotSelected =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr std::string_view kErrMustBePositive =
    "ERR value is out of range, must be positive";
inline constexpr std::string_view kErrLposRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr std::string_view kErrLposCountNegative = "ERR COUNT can't be negative";
inline constexpr std::string_view kErrLposMaxlenNegative = "ERR MAXLEN can't be negative";
inline constexpr std::string_view kErrNumkeysPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kErrCountPositive = "ERR count should be greater than 0";
inline constexpr std::string_view kErrDebugDisabled =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";

// Sorted sets (t_zset.c) and the argument checks they share with other types.
inline constexpr std::string_view kErrZaddXxAndNx =
    "ERR XX and NX options at the same time are not compatible";
inline constexpr std::string_view kErrZaddGtLtNx =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr std::string_view kErrZaddIncrSinglePair =
    "ERR INCR option supports a single increment-element pair";
inline constexpr std::string_view kErrScoreNan = "ERR resulting score is not a number (NaN)";
inline constexpr std::string_view kErrMinMaxNotFloat = "ERR min or max is not a float";
inline constexpr std::string_view kErrMinMaxNotLex = "ERR min or max not valid string range item";
inline constexpr std::string_view kErrLimitNeedsByscoreOrBylex =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr std::string_view kErrWithscoresWithBylex =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
inline constexpr std::string_view kErrWeightNotFloat = "ERR weight value is not a float";
inline constexpr std::string_view kErrLimitNegative = "ERR LIMIT can't be negative";

// HyperLogLog (hyperloglog.c).
inline constexpr std::string_view kErrHllWrongType =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr std::string_view kErrHllCorrupt = "INVALIDOBJ Corrupted HLL object detected";
inline constexpr std::string_view kErrPfdebugNoKey = "ERR The specified key does not exist";
inline constexpr std::string_view kErrPfdebugNotSparse = "ERR HLL encoding is not sparse";

// Geospatial (geo.c). "ERR invalid longitude,latitude pair %f,%f" is built by the handler.
inline constexpr std::string_view kErrGeoUnit =
    "ERR unsupported unit provided. please use M, KM, FT, MI";
inline constexpr std::string_view kErrGeoRadiusNotNumeric = "ERR need numeric radius";
inline constexpr std::string_view kErrGeoWidthNotNumeric = "ERR need numeric width";
inline constexpr std::string_view kErrGeoHeightNotNumeric = "ERR need numeric height";
inline constexpr std::string_view kErrGeoRadiusNegative = "ERR radius cannot be negative";
inline constexpr std::string_view kErrGeoBoxNegative = "ERR height or width cannot be negative";
inline constexpr std::string_view kErrGeoCountPositive = "ERR COUNT must be > 0";
inline constexpr std::string_view kErrGeoMember = "ERR could not decode requested zset member";
inline constexpr std::string_view kErrGeoAnyNeedsCount =
    "ERR the ANY argument requires COUNT argument";

// SORT (sort.c).
inline constexpr std::string_view kErrSortNotDouble =
    "ERR One or more scores can't be converted into double";

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

// ---- persistence: SAVE, SHUTDOWN, DUMP, RESTORE ----
// SAVE that failed: Redis replies its bare shared error (the reason is in the log).
inline constexpr std::string_view kErrSaveFailed = "ERR";
inline constexpr std::string_view kErrBgsaveInProgress = "ERR Background save already in progress";
// Writes refused after a failed background save (stop-writes-on-bgsave-error), Redis 7.0's text.
inline constexpr std::string_view kErrMisconfRdb =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB "
    "error.";
// Commands without the loading flag while the dataset loads at start (Redis's shared.loadingerr).
inline constexpr std::string_view kErrLoading = "LOADING Redis is loading the dataset in memory";
// Writes refused after a failed AOF write: this prefix and the system's reason.
inline constexpr std::string_view kErrMisconfAof = "MISCONF Errors writing to the AOF file: ";
inline constexpr std::string_view kErrBgsaveAnotherChild =
    "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in "
    "order to schedule a BGSAVE whenever possible.";
inline constexpr std::string_view kErrAofRewriteInProgress =
    "ERR Background append only file rewriting already in progress";
inline constexpr std::string_view kErrShutdownSave = "ERR Errors trying to SHUTDOWN. Check logs.";
inline constexpr std::string_view kErrBusyKey = "BUSYKEY Target key name already exists.";
inline constexpr std::string_view kErrDumpPayload =
    "ERR DUMP payload version or checksum are wrong";
inline constexpr std::string_view kErrBadDataFormat = "ERR Bad data format";
inline constexpr std::string_view kErrInvalidTtl = "ERR Invalid TTL value, must be >= 0";
inline constexpr std::string_view kErrInvalidIdletime = "ERR Invalid IDLETIME value, must be >= 0";
inline constexpr std::string_view kErrInvalidFreq =
    "ERR Invalid FREQ value, must be >= 0 and <= 255";
// "ERR Protocol error: expected '$', got 'X'"
std::string ProtoExpectedDollar(char got);

// "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
std::string UnknownCommand(std::string_view name, const std::string_view* args, size_t nargs);
// "ERR unknown subcommand 'foo'. Try CLIENT HELP."
std::string UnknownSubcommand(std::string_view command, std::string_view sub);
// "ERR unknown subcommand or wrong number of arguments for 'x'. Try PUBSUB HELP." (a
// subcommand whose handler refuses its arguments, Redis addReplySubcommandSyntaxError: the
// subcommand as typed, the command in upper case).
std::string SubcommandSyntax(std::string_view command, std::string_view sub);
// "ERR invalid expire time in 'set' command"
std::string InvalidExpireTime(std::string_view command);
// "ERR Unsupported option foo" (EXPIRE and its family).
std::string UnsupportedOption(std::string_view option);
// "ERR value is out of range, must be between <min> and <max>" (Redis getRangeLongFromObject
// without a message of its own).
std::string OutOfRange(int64_t min, int64_t max);
// "NOPERM this user has no permissions to run the 'get' command" (full name: "config|get").
std::string NoPermCommand(std::string_view full_name);
// "ERR wrong number of arguments for 'get' command" (name in lower case; "client|id" for
// subcommands).
std::string WrongArity(std::string_view name);
// "ERR at least 1 input key is needed for 'zunionstore' command" (name in lower case).
std::string AtLeastOneInputKey(std::string_view name);

}  // namespace mnemo::protocol
