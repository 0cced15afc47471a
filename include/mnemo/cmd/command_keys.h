// command_keys.h: which arguments of a request are keys, and what the command does to each
// (layer: cmd). ACL key permissions and COMMAND GETKEYS read the same answer.
//
// Most rows say it with first_key/last_key/key_step and one KeyAccess; the functions below serve
// the rows whose keys or whose access depend on the arguments (a numkeys count, a destination
// written while the sources are read, SET's GET option), following the key specifications of
// Redis 7.0 (and its getkeys procedures where those decide).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "mnemo/cmd/command.h"

namespace mnemo::cmd {

// True iff the command can have keys (a key range or a key function).
bool CommandHasKeys(const CommandSpec& spec);
// Appends the keys of argv to `keys`, in Redis's key-spec order. Returns false when the
// arguments do not say where the keys are (COMMAND GETKEYS answers "Invalid arguments specified
// for command"; the ACL check sees no key and the command reports its own error).
// REQUIRES: argv passes the command's arity.
bool CommandKeys(const CommandSpec& spec, std::span<const std::string_view> argv,
                 std::vector<KeyRef>& keys);

// ---- key functions of single rows (CommandSpec::keys.find) ----
// SET key value [... GET ...]: read and written with GET, else only written.
bool SetKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// BITFIELD key [GET ...|SET ...|INCRBY ...|OVERFLOW ...]: read only when it only GETs.
bool BitfieldKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// BITOP op destkey key [key ...]: destination written, sources read.
bool BitopKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// COPY source destination: source read, destination written.
bool CopyKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// LMOVE/RPOPLPUSH/SMOVE source destination: source read and written, destination written.
bool LmoveKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// RENAME/RENAMENX key newkey: the same access as LMOVE.
bool RenameKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// SDIFFSTORE/SINTERSTORE/SUNIONSTORE destination key [key ...]: destination written, the others
// read.
bool StoreFromRestKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// ZRANGESTORE destination source ...: destination written, source read.
bool DestinationSourceKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE destination numkeys key [key ...]: destination written,
// the numkeys sources read.
bool NumkeysStoreKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// ZUNION/ZINTER/ZDIFF/ZINTERCARD/SINTERCARD numkeys key [key ...]: read.
bool NumkeysReadKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// LMPOP/ZMPOP numkeys key [key ...]: read and written.
bool NumkeysPopKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// BLMPOP/BZMPOP timeout numkeys key [key ...]: read and written.
bool TimeoutNumkeysPopKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// PFMERGE destkey [sourcekey ...]: destination read and written, sources read.
bool PfmergeKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// GEORADIUS key lon lat radius unit ... [STORE key] [STOREDIST key]: the key read, the first
// STORE and STOREDIST destinations (from argument 6 on; 5 for GEORADIUSBYMEMBER) written.
bool GeoradiusKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
bool GeoradiusbymemberKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);
// SORT key ... [STORE destination]: the key read, the last STORE destination written (the keys
// BY and GET patterns name are not reported, as in Redis; SORT checks that the user may read
// every key before it uses them).
bool SortKeys(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);

}  // namespace mnemo::cmd
