// changes.cc: listeners, the notify-keyspace-events letters, and the propagation units of the
// keyspace-change seam (layer: db).
#include "mnemo/db/changes.h"

#include <algorithm>

#include "mnemo/base/assert.h"
#include "mnemo/db/db.h"

namespace mnemo::db {

namespace {

struct Letter {
  char letter;
  uint32_t classes;
};

// The letters in the order Redis prints them (keyspaceEventsFlagsToString).
constexpr Letter kTypeLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},
};

}  // namespace

bool ParseNotifyClasses(std::string_view letters, uint32_t* out) {
  uint32_t classes = 0;
  for (const char c : letters) {
    switch (c) {
      case 'A':
        classes |= kNotifyAll;
        break;
      case 'K':
        classes |= kNotifyKeyspace;
        break;
      case 'E':
        classes |= kNotifyKeyevent;
        break;
      case 'm':
        classes |= kNotifyKeyMiss;
        break;
      default: {
        const auto* it = std::find_if(std::begin(kTypeLetters), std::end(kTypeLetters),
                                      [c](const Letter& l) { return l.letter == c; });
        if (it == std::end(kTypeLetters)) return false;
        classes |= it->classes;
      }
    }
  }
  *out = classes;
  return true;
}

std::string NotifyClassesToString(uint32_t classes) {
  std::string out;
  if ((classes & kNotifyAll) == kNotifyAll) {
    // Redis prints none of the other type letters then, not even 'n' (which A does not
    // include): CONFIG GET answers as Redis 7.0 does.
    out += 'A';
  } else {
    for (const Letter& l : kTypeLetters) {
      if (classes & l.classes) out += l.letter;
    }
  }
  if (classes & kNotifyKeyspace) out += 'K';
  if (classes & kNotifyKeyevent) out += 'E';
  if (classes & kNotifyKeyMiss) out += 'm';
  return out;
}

void Changes::AddListener(ChangeListener* l) { listeners_.push_back(l); }

void Changes::RemoveListener(ChangeListener* l) { std::erase(listeners_, l); }

void Changes::AddSink(PropagationSink* s) {
  sinks_.push_back(s);
  sink_targets_ |= s->targets();
}

void Changes::RemoveSink(PropagationSink* s) {
  std::erase(sinks_, s);
  sink_targets_ = 0;
  for (PropagationSink* k : sinks_) sink_targets_ |= k->targets();
}

void Changes::set_notify_classes(uint32_t classes) {
  // Without K or E an event has no channel to go to (Redis notifyKeyspaceEvent returns early).
  notify_classes_ = (classes & (kNotifyKeyspace | kNotifyKeyevent)) ? classes : 0;
}

void Changes::EndUnit() {
  MNEMO_ASSERT(unit_depth_ > 0);
  if (--unit_depth_ == 0 && !pending_.empty()) Deliver();
}

void Changes::Propagate(int db, std::span<const std::string_view> argv) {
  if ((targets_ & sink_targets_) == 0) return;
  PropagatedCommand cmd;
  cmd.db = db;
  cmd.targets = targets_;
  cmd.argv.reserve(argv.size());
  for (std::string_view a : argv) cmd.argv.emplace_back(a);
  pending_.push_back(std::move(cmd));
  if (unit_depth_ == 0) Deliver();
}

void Changes::Propagate(int db, std::initializer_list<std::string_view> argv) {
  Propagate(db, std::span<const std::string_view>(argv.begin(), argv.size()));
}

void Changes::Propagate(int db, std::vector<std::string> argv) {
  if ((targets_ & sink_targets_) == 0) return;
  pending_.push_back(PropagatedCommand{db, std::move(argv), targets_});
  if (unit_depth_ == 0) Deliver();
}

void Changes::PropagateDeletion(Db& db, std::string_view key, bool lazy) {
  if (sinks_.empty()) return;
  // Deletions (expiry) propagate everywhere, whatever a script chose for its own commands.
  const uint8_t targets = targets_;
  targets_ = kPropagateAll;
  Propagate(db.id(), {lazy ? std::string_view("UNLINK") : std::string_view("DEL"), key});
  targets_ = targets;
}

void Changes::Deliver() {
  std::vector<PropagatedCommand> unit;
  unit.swap(pending_);
  if (unit.size() > 1) {
    // MULTI applies where the unit's first command does (Redis emits SELECT before MULTI).
    unit.insert(unit.begin(), PropagatedCommand{unit.front().db, {"MULTI"}});
    unit.push_back(PropagatedCommand{-1, {"EXEC"}});
  }
  for (PropagationSink* s : sinks_) {
    // A sink sees the commands aimed at it (Redis propagateNow per target); the wrapping
    // MULTI/EXEC goes everywhere, as in Redis.
    const uint8_t mine = s->targets();
    const bool all = std::all_of(unit.begin(), unit.end(),
                                 [mine](const PropagatedCommand& c) { return c.targets & mine; });
    if (all) {
      s->OnPropagate(unit);
      continue;
    }
    std::vector<PropagatedCommand> part;
    for (const PropagatedCommand& c : unit) {
      if (c.targets & mine) part.push_back(c);
    }
    if (!part.empty()) s->OnPropagate(part);
  }
}

}  // namespace mnemo::db
