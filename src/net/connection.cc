// connection.cc: the read -> parse -> dispatch -> write cycle of a connection (layer: net).
//
// Reads do not keep a 16 KB buffer posted per connection. The asynchronous read of a plain
// socket lands in the connection's own 256-byte array (one request of an unpipelined client
// fits; asio tries it at once and otherwise waits for readiness without an epoll_ctl); those
// bytes go to one shared 64 KB buffer, and when the array filled, a non-blocking read fetches
// the rest into the buffer after them. Every complete request is run straight from the shared
// buffer, and only the tail of an incomplete request is copied into the connection's own query
// buffer. A connection with no partial request therefore holds no query buffer at all: 10,000
// idle clients cost no 160 MB of read buffers. The shared buffer is safe because the loop is
// single-threaded and nothing runs between a read and the processing of what it read. Per
// request of an unpipelined client this costs a share of epoll_wait, one recv and one write
// (Redis: the same): after a read that emptied the socket, the next read waits for epoll's
// report instead of trying a recv that would fail with EAGAIN (Transport::MarkReadDrained;
// a client blocked in BLPOP made one per wake-up). The async_wait the asynchronous read
// replaced cost an epoll_ctl per request, and more time.
#include "mnemo/net/connection.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "mnemo/base/clock.h"
#include "mnemo/base/log.h"
#include "mnemo/base/strings.h"

namespace mnemo::net {

namespace {

// Bytes of the shared read buffer. Larger than a connection's own read chunk because it costs
// nothing per client: a pipeline of 16 1 KB SETs (about 17 KB) arrives in one read and its
// replies leave in one write, where a 16 KB buffer split every such batch into two reads and two
// writes (Redis reads as much as its grown query buffer holds).
constexpr size_t kSharedReadSize = 64 * 1024;

// The shared read buffer (see the file comment). Single event-loop thread only.
char* SharedReadBuffer() {
  static std::unique_ptr<char[]> buffer(new char[kSharedReadSize]);
  return buffer.get();
}

// True while a connection processes requests straight from the shared buffer. The loop can be
// re-entered from inside a request (a busy script lets other clients be served): those reads
// must then go to their connection's own buffer, not over the bytes still being parsed.
bool g_shared_buffer_in_use = false;

}  // namespace

void Connection::PrepareSharedBuffers() { SharedReadBuffer(); }

namespace {

// Output buffers larger than this are released once empty, so that one big reply does not pin
// its memory for the life of the connection.
constexpr size_t kKeepOutputCapacity = 64 * 1024;

}  // namespace

Connection::Connection(Socket socket, ConnectionHandler* handler, const ConnectionLimits* limits,
                       NetStats* stats, uint64_t id, std::string peer, std::string local,
                       bool unix_socket, std::shared_ptr<TlsContext> tls)
    : transport_(std::move(socket), std::move(tls)),
      handler_(handler),
      limits_(limits),
      stats_(stats),
      id_(id),
      peer_(std::move(peer)),
      local_(std::move(local)),
      unix_socket_(unix_socket),
      created_ms_(UnixTimeMs()),
      last_interaction_ms_(created_ms_) {}

Connection::~Connection() {
  if (wide_held_) delete[] wide_first_read_;
}

int Connection::fd() { return closed_ ? -1 : transport_.fd(); }

size_t Connection::SocketStateBytes() {
  using State = asio::detail::reactor::per_descriptor_data;
  if constexpr (std::is_pointer_v<State>) {
    return sizeof(std::remove_pointer_t<State>);
  } else {
    return 0;
  }
}

void Connection::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  if (qcap_ > 0) fn(qcap_);
  if (wide_held_) fn(kWideFirstRead);
  parser_.ForEachAllocation(fn);
  reply_.ForEachAllocation(fn);
  if (const size_t n = StringHeapRequest(sending_)) fn(n);
  if (const size_t n = StringHeapRequest(peer_)) fn(n);
  if (const size_t n = StringHeapRequest(local_)) fn(n);
  transport_.ForEachAllocation(fn);
}

void Connection::Start() {
  asio::error_code ec;
  transport_.socket().non_blocking(true, ec);
  transport_.Handshake([self = shared_from_this()](const asio::error_code& hec) {
    if (hec) {
      // As Redis: the client never became one; OnClose still runs (it tolerates that).
      LogWarning("Error accepting a client connection: {}", self->transport_.TakeHandshakeError());
      self->Close();
      return;
    }
    self->Open();
  });
}

void Connection::Open() {
  if (closed_) return;
  if (!handler_->OnOpen(*this)) {
    CloseAfterReply();
    Flush();
    return;
  }
  StartRead();
}

void Connection::Adopt(std::string_view initial) {
  asio::error_code ec;
  transport_.socket().non_blocking(true, ec);
  if (closed_) return;
  if (!handler_->OnOpen(*this)) {
    Close();
    return;
  }
  if (!initial.empty()) {
    qcap_ = std::max(initial.size(), kReadChunk);
    qbuf_.reset(new char[qcap_]);
    std::memcpy(qbuf_.get(), initial.data(), initial.size());
    qstart_ = 0;
    qend_ = initial.size();
    ProcessInput();
    if (closed_) return;
    if (!CheckOutputLimits()) return;
    Flush();
    if (closed_) return;
  }
  StartRead();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  transport_.Close();
  qbuf_.reset();
  qcap_ = qstart_ = qend_ = 0;
  handler_->OnClose(*this);
}

void Connection::CloseAfterReply() { close_after_reply_ = true; }

void Connection::Suspend(bool retry_current) {
  suspended_ = true;
  retry_current_ = retry_current;
}

void Connection::Resume() {
  if (!suspended_ || closed_) return;
  suspended_ = false;
  // Nothing arrived while suspended and a read waits: the next bytes are handled when they
  // come, and output made meanwhile goes out as any other queued output (SendQueuedOutput), so
  // a woken client costs no handler of its own.
  if (qend_ == qstart_ && reading_ && !processing_) return;
  asio::post(transport_.socket().get_executor(), [self = shared_from_this()] { self->ResumeNow(); });
}

void Connection::ResumeNow() {
  if (closed_ || suspended_) return;
  ProcessInput();
  if (closed_) return;
  if (!CheckOutputLimits()) return;
  Flush();
  if (!closed_) StartRead();
}

void Connection::SendQueuedOutput() {
  if (closed_ || processing_) return;
  if (!CheckOutputLimits()) return;
  Flush();
}

void Connection::ShrinkIdleBuffers() {
  if (closed_ || processing_) return;
  // The wide first-read block of a client quiet for kWideFirstReadIdleMs goes back: the read
  // that waits holds it, so that read is cancelled (with nothing being written, cancelling the
  // socket's operations cancels only it) and OnRead starts a narrow one.
  if (wide_held_ && reading_ && !writing_ && !taking_wide_back_ &&
      UnixTimeMs() - last_interaction_ms_ > kWideFirstReadIdleMs) {
    asio::error_code ec;
    transport_.socket().cancel(ec);
    if (!ec) taking_wide_back_ = true;
  }
  parser_.ShrinkToRecentPeak();
  if (reply_.size() == 0 && reply_.buffer().capacity() > 0 && !writing_) {
    std::string().swap(reply_.buffer());
  }
  if (!writing_ && sending_.capacity() > 0) std::string().swap(sending_);
}

void Connection::StartRead() {
  if (reading_ || closed_ || close_after_reply_) return;
  reading_ = true;
  // wide_held_ changes only in OnRead, so it also tells OnRead where this read landed.
  transport_.ReadSomeAsync(wide_held_ ? wide_first_read_ : first_read_,
                           wide_held_ ? kWideFirstRead : kFirstRead,
                           [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                             self->OnRead(ec, n);
                           });
  read_runs_after_recv_ = !writing_ && transport_.ReadWaits();
}

void Connection::EnsureReadSpace(size_t min_room) {
  const size_t used = qend_ - qstart_;
  size_t need = std::max(kReadChunk, min_room);
  // A big argument in progress: make room for all of it at once (Redis PROTO_MBULK_BIG_ARG).
  if (parser_.bytes_wanted() > used + need) need = parser_.bytes_wanted() - used;
  if (qstart_ > 0) {
    std::memmove(qbuf_.get(), qbuf_.get() + qstart_, used);
    qstart_ = 0;
    qend_ = used;
  }
  if (qcap_ - qend_ >= need) return;
  size_t cap;
  if (parser_.bytes_wanted() > 0) {
    // Exactly what the big argument needs, as Redis's sdsMakeRoomForNonGreedy: doubling would
    // hold up to twice the argument (a 300 MB SET would allocate 512 MB).
    cap = qend_ + need;
  } else {
    // Doubling, as Redis's greedy sdsMakeRoomFor: the reads that follow take all the room, so
    // a client pipelining 10 KB values reads a dozen of them per recv.
    cap = qcap_ == 0 ? kReadChunk : qcap_;
    while (cap < qend_ + need) cap *= 2;
  }
  std::unique_ptr<char[]> grown(new char[cap]);
  if (used > 0) std::memcpy(grown.get(), qbuf_.get(), used);
  qbuf_ = std::move(grown);
  qcap_ = cap;
}

void Connection::OnRead(const asio::error_code& ec, size_t first) {
  reading_ = false;
  if (closed_) return;
  if (taking_wide_back_) {
    taking_wide_back_ = false;
    if (ec == asio::error::operation_aborted) {
      delete[] wide_first_read_;
      wide_held_ = false;
      narrow_reads_ = 0;
      StartRead();
      return;
    }
    // The read had completed before the cancel: handled as usual, the block stays for now.
  }
  if (ec) {
    Close();
    return;
  }
  // A partial request waits in our own buffer, or a suspended connection keeps what arrives.
  const bool into_own = qend_ > qstart_ || suspended_ || g_shared_buffer_in_use;
  char* target;
  size_t room;
  if (into_own) {
    // Room for at least a read chunk, a greedy one when the last read filled its room (more
    // was waiting: a pipelining client, or a primary's stream), and then all the room the
    // buffer has, as Redis reads sdsavail of its query buffer: with 10 KB values a 16 KB step
    // cost one recv and one send per 1.5 requests.
    EnsureReadSpace(greedy_reads_ || read_filled_ ? kGreedyReadChunk : kReadChunk);
    target = qbuf_.get() + qend_;
    room = qcap_ - qend_;
  } else {
    target = SharedReadBuffer();
    room = kSharedReadSize;
  }
  // `first` bytes wait in first_read_ or wide_first_read_ (plain sockets); when they filled
  // it, more may follow. TLS reads nothing there: ReadSome hands out what the stream decrypted.
  const size_t first_room = wide_held_ ? kWideFirstRead : kFirstRead;
  size_t n = first;
  if (first > 0) std::memcpy(target, wide_held_ ? wide_first_read_ : first_read_, first);
  AdaptFirstRead(first);
  // A read that returned less than it had room for emptied the socket, if nothing ran between
  // it and now (see read_runs_after_recv_; the non-blocking read below always qualifies).
  bool drained = first < first_room && read_runs_after_recv_;
  if (first == 0 || first == first_room) {
    asio::error_code rec;
    const size_t more = transport_.ReadSome(target + n, room - n, rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) {
      drained = true;
      if (n == 0) {
        StartRead();
        return;
      }
    } else if (rec || more == 0) {
      Close();
      return;
    } else {
      drained = more < room - n;
      n += more;
    }
  }
  if (drained) transport_.MarkReadDrained();
  read_filled_ = n == room;
  stats_->input_bytes += n;
  ++stats_->reads_processed;
  last_interaction_ms_ = UnixTimeMs();
  if (into_own) {
    qend_ += n;
  } else {
    // Process straight from the shared buffer; keep only an incomplete tail.
    qbuf_view_ = std::string_view(target, n);
  }
  ProcessInput();
  if (closed_) return;
  if (query_buffer_used() > limits_->query_buffer_limit) {
    LogWarning("Closing client that reached max query buffer length: id={} addr={} (qbuf size {})",
               id_, peer_, query_buffer_used());
    ++stats_->query_buffer_limit_disconnections;
    Close();
    return;
  }
  if (!CheckOutputLimits()) return;
  Flush();
  if (closed_) return;
  // The socket was emptied: the next read waits for epoll's report of new bytes (no recv is
  // tried first), so it can start now. Otherwise more bytes wait, and the next read starts
  // after the other connections' ready handlers have run (asio tries it at once, a recv).
  // defer() queues on this thread without waking the reactor.
  if (drained) {
    StartRead();
    return;
  }
  asio::defer(transport_.socket().get_executor(), [self = shared_from_this()] { self->StartRead(); });
}

void Connection::AdaptFirstRead(size_t first) {
  if (first > kFirstRead || (first == kFirstRead && !wide_held_)) {
    // Did not fit, or may not have: wide from the next read on.
    narrow_reads_ = 0;
    if (!wide_held_) {
      wide_first_read_ = new char[kWideFirstRead];  // the array's bytes were copied out
      wide_held_ = true;
    }
  } else if (wide_held_ && first > 0 && ++narrow_reads_ >= kNarrowReadsToShrink) {
    // No read is in flight here, so the block can go.
    delete[] wide_first_read_;
    wide_held_ = false;
    narrow_reads_ = 0;
  }
}

void Connection::ProcessInput() {
  // The bytes to parse: our own buffer, or the shared one this read went to.
  const bool shared = !qbuf_view_.empty();
  std::string_view data =
      shared ? qbuf_view_ : std::string_view(qbuf_.get() + qstart_, qend_ - qstart_);
  size_t pos = 0;
  reply_.set_ceiling(limits_->reply_ceiling);
  processing_ = true;
  const bool outer_shared = g_shared_buffer_in_use;
  if (shared) g_shared_buffer_in_use = true;
  while (pos < data.size() && !closed_ && !close_after_reply_ && !suspended_) {
    size_t consumed = 0;
    parser_.set_max_bulk_len(limits_->max_bulk_len);
    const protocol::ParseStatus status = parser_.Parse(data.substr(pos), &consumed);
    if (status == protocol::ParseStatus::kIncomplete) break;
    if (status == protocol::ParseStatus::kError) {
      LogVerbose("Protocol error ({}) from client: id={} addr={}", parser_.error(), id_, peer_);
      reply_.Error(parser_.error());
      close_after_reply_ = true;
      pos = data.size();
      break;
    }
    current_request_ = data.substr(pos, consumed);
    if (!parser_.args().empty()) handler_->OnRequest(*this, parser_.args());
    current_request_ = {};
    if (suspended_ && retry_current_) {
      retry_current_ = false;  // handed over again at Resume
      break;
    }
    pos += consumed;
  }
  g_shared_buffer_in_use = outer_shared;
  processing_ = false;
  // Every request of the input was handled: a big argument table goes back now, not at the
  // cron's next visit (parser.h ReleaseBigTables).
  if (pos == data.size() && !suspended_) parser_.ReleaseBigTables();
  if (!closed_) handler_->OnBatchEnd(*this);
  if (closed_) return;
  if (shared) {
    qbuf_view_ = {};
    const size_t rest = data.size() - pos;
    if (rest > 0 && !close_after_reply_) {
      // Keep the incomplete request in our own buffer; the parser's offsets are relative to
      // its first byte, so they stay valid.
      // The tail may be longer than a read chunk (the shared buffer is larger than one).
      qstart_ = qend_ = 0;
      EnsureReadSpace(rest);
      std::memcpy(qbuf_.get(), data.data() + pos, rest);
      qend_ = rest;
    }
  } else {
    qstart_ += pos;
    if (qstart_ == qend_ || close_after_reply_) {
      // Nothing pending: give the buffer back; the next read uses the shared one.
      qbuf_.reset();
      qcap_ = qstart_ = qend_ = 0;
    }
  }
}

bool Connection::CheckOutputLimits() {
  if (reply_.cut_short()) {
    LogWarning(
        "Closing client id={} addr={}: a reply it asked for grew past {} bytes (random picks "
        "with repetition; see client-output-buffer-limit and maxmemory).",
        id_, peer_, limits_->reply_ceiling);
    ++stats_->output_buffer_limit_disconnections;
    Close();
    return false;
  }
  if (close_asap_ || OverOutputLimits()) {
    Close();
    return false;
  }
  return true;
}

// Logs and counts the disconnection when the pending output is past the hard limit, or past
// the soft limit for longer than its seconds.
bool Connection::OverOutputLimits() {
  const size_t pending = output_pending();
  const OutputLimit& limit = limits_->output[static_cast<int>(output_class_)];
  if (limit.hard > 0 && pending > limit.hard) {
    LogWarning(
        "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer "
        "limits.",
        id_, peer_);
    ++stats_->output_buffer_limit_disconnections;
    return true;
  }
  if (limit.soft > 0 && pending > limit.soft) {
    const int64_t now = UnixTimeMs();
    if (soft_limit_since_ms_ == 0) soft_limit_since_ms_ = now;
    if (now - soft_limit_since_ms_ > limit.soft_seconds * 1000) {
      LogWarning(
          "Client id={} addr={} scheduled to be closed ASAP for overcoming of output "
          "buffer limits.",
          id_, peer_);
      ++stats_->output_buffer_limit_disconnections;
      return true;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  return false;
}

Connection::QueuedOutput Connection::AcceptQueuedOutput() {
  if (closed_) return QueuedOutput::kDropped;
  QueuedOutput result = QueuedOutput::kDropped;
  if (!close_asap_) {
    if (!OverOutputLimits()) return QueuedOutput::kAccepted;
    close_asap_ = true;
    result = QueuedOutput::kClose;
  }
  // While the connection runs its own commands a reply may be half built (deferred headers
  // point into the buffer): it is dropped when the batch ends and the connection closes.
  if (!processing_) std::string().swap(reply_.buffer());
  return result;
}

void Connection::Flush() {
  if (writing_ || closed_) return;
  if (reply_.size() > 0 && handler_->HoldOutput(*this)) return;
  if (reply_.size() == 0) {
    if (close_after_reply_) Close();
    return;
  }
  sending_.clear();
  sending_.swap(reply_.buffer());
  sent_ = 0;
  asio::error_code ec;
  // Most replies fit the socket buffer: write them now, without a trip through the loop.
  const size_t n = transport_.TryWrite(sending_.data(), sending_.size(), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    Close();
    return;
  }
  sent_ = ec ? 0 : n;
  stats_->output_bytes += sent_;
  ++stats_->writes_processed;
  if (sent_ == sending_.size()) {
    ReleaseIdleBuffers();
    if (close_after_reply_ && reply_.size() == 0) Close();
    return;
  }
  writing_ = true;
  read_runs_after_recv_ = false;
  transport_.AsyncWrite(sending_.data() + sent_, sending_.size() - sent_,
                        [self = shared_from_this()](const asio::error_code& wec, size_t written) {
                          self->OnWritten(wec, written);
                        });
}

void Connection::OnWritten(const asio::error_code& ec, size_t n) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  sent_ += n;
  stats_->output_bytes += n;
  ++stats_->writes_processed;
  ReleaseIdleBuffers();
  Flush();
}

void Connection::ReleaseIdleBuffers() {
  sending_.clear();
  sent_ = 0;
  if (sending_.capacity() > kKeepOutputCapacity) std::string().swap(sending_);
  if (reply_.size() == 0 && reply_.buffer().capacity() > kKeepOutputCapacity) {
    std::string().swap(reply_.buffer());
  }
}

}  // namespace mnemo::net
