// loop.cc: what the event loop is about to do (layer: net).
#include "mnemo/net/loop.h"

#include <asio/detail/scheduler.hpp>

namespace {

// asio's scheduler keeps its ready handlers in a private queue, with a marker operation
// (task_operation_) for the reactor's next poll. An explicit instantiation may name private
// members ([temp.explicit]): these three hand out pointers to the queue, the marker and the
// mutex that guards them, to this file only. Checked against asio 1.22 (Debian 12).
template <typename Tag, auto Member>
struct Expose {
  friend auto MemberOf(Tag) { return Member; }
};
struct QueueTag {
  friend auto MemberOf(QueueTag);
};
struct MarkerTag {
  friend auto MemberOf(MarkerTag);
};
struct MutexTag {
  friend auto MemberOf(MutexTag);
};
template struct Expose<QueueTag, &asio::detail::scheduler::op_queue_>;
template struct Expose<MarkerTag, &asio::detail::scheduler::task_operation_>;
template struct Expose<MutexTag, &asio::detail::scheduler::mutex_>;

}  // namespace

namespace mnemo::net {

bool ReactorPollsNext(asio::io_context& io) {
  auto& sched = asio::use_service<asio::detail::scheduler>(io);
  // Other threads may post (completions of background work): read under the scheduler's lock.
  asio::detail::conditionally_enabled_mutex::scoped_lock lock(sched.*MemberOf(MutexTag{}));
  auto& queue = sched.*MemberOf(QueueTag{});
  // An empty queue: no reactor yet, the loop waits for a post.
  return queue.empty() || queue.front() == &(sched.*MemberOf(MarkerTag{}));
}

}  // namespace mnemo::net
