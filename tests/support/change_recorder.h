// change_recorder.h: records what the keyspace-change seam hears (keyspace events, modified
// keys) and what is propagated, for tests of write commands (tests/support).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/db/changes.h"

namespace mnemo::test {

class ChangeRecorder : public db::ChangeListener, public db::PropagationSink {
 public:
  // Listens to `changes` with every keyspace event class enabled.
  explicit ChangeRecorder(db::Changes& changes) : changes_(changes) {
    changes_.set_notify_classes(db::kNotifyAll | db::kNotifyKeyspace | db::kNotifyKeyevent);
    changes_.AddListener(this);
    changes_.AddSink(this);
  }
  ~ChangeRecorder() override {
    changes_.RemoveListener(this);
    changes_.RemoveSink(this);
  }
  ChangeRecorder(const ChangeRecorder&) = delete;
  ChangeRecorder& operator=(const ChangeRecorder&) = delete;

  void OnKeyspaceEvent(uint32_t, std::string_view event, db::Db&, std::string_view key) override {
    events.push_back(std::string(event) + " " + std::string(key));
  }
  void OnKeyModified(db::Db&, std::string_view key) override { modified.emplace_back(key); }
  void OnPropagate(std::span<const db::PropagatedCommand> unit) override {
    for (const db::PropagatedCommand& c : unit) {
      std::string line;
      for (const std::string& a : c.argv) line += (line.empty() ? "" : " ") + a;
      propagated.push_back(line);
    }
  }
  void Clear() {
    events.clear();
    modified.clear();
    propagated.clear();
  }

  std::vector<std::string> events;      // "event key"
  std::vector<std::string> modified;    // keys
  std::vector<std::string> propagated;  // "arg arg ..."

 private:
  db::Changes& changes_;
};

}  // namespace mnemo::test
