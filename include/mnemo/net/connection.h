// connection.h: one client connection: read, parse, hand requests over, write (layer: net).
//
// The cycle of a connection on the single event loop:
//   read (at most kReadChunk bytes, or what a pending big argument needs)
//   -> parse every complete request in the query buffer and hand each to the handler
//   -> write all replies of the batch with one write (a direct non-blocking write first; only
//      what the socket does not take waits for an asynchronous write)
//   -> read again.
// Reading continues while a write is pending, as in Redis: a client that pipelines requests
// without reading replies must not deadlock with us. Output grows until the configured output
// buffer limit closes the client.
//
// The connection knows nothing of commands: it calls a ConnectionHandler that the server
// implements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <asio.hpp>

#include "mnemo/base/function_ref.h"
#include "mnemo/net/transport.h"
#include "mnemo/protocol/parser.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::net {

class Connection;

// Per-connection state owned by the connection on behalf of the handler.
class ConnectionState {
 public:
  virtual ~ConnectionState() = default;
};

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // A connection was accepted. Returns false to refuse it; whatever the handler wrote to
  // c.reply() is sent before the connection closes.
  virtual bool OnOpen(Connection& c) = 0;
  // One complete request (at least one argument). Replies go to c.reply(). The handler may
  // suspend the connection (Connection::Suspend) to stop further requests.
  virtual void OnRequest(Connection& c, std::span<const std::string_view> argv) = 0;
  // Every request of one read has been handed over (or the connection was suspended): the
  // handler may now write output it produced for other connections.
  virtual void OnBatchEnd(Connection& c) { (void)c; }
  // Output is about to be written: returning true keeps it queued (appendfsync always: replies
  // wait for the fsync of the writes they acknowledge). The handler later sends it with
  // SendQueuedOutput.
  virtual bool HoldOutput(Connection& c) {
    (void)c;
    return false;
  }
  // The connection is closing; called once.
  virtual void OnClose(Connection& c) = 0;
};

// The classes of client-output-buffer-limit.
enum class OutputClass : uint8_t { kNormal = 0, kReplica = 1, kPubSub = 2 };

// client-output-buffer-limit of one class; 0 disables a limit.
struct OutputLimit {
  size_t hard = 0;
  size_t soft = 0;
  int64_t soft_seconds = 0;
};

// Limits applied to every connection; the server updates them on CONFIG SET.
struct ConnectionLimits {
  size_t query_buffer_limit = 1024ULL * 1024 * 1024;  // client-query-buffer-limit
  int64_t max_bulk_len = 512LL * 1024 * 1024;         // proto-max-bulk-len
  // client-output-buffer-limit, by OutputClass.
  OutputLimit output[3];
  // The most a reply whose length the client chooses may grow to before the client is closed
  // (ReplyBuilder::set_ceiling); 0: none.
  size_t reply_ceiling = 0;
};

// Traffic counters shared by every connection (INFO stats).
struct NetStats {
  uint64_t input_bytes = 0;       // total_net_input_bytes
  uint64_t output_bytes = 0;      // total_net_output_bytes
  uint64_t reads_processed = 0;   // total_reads_processed
  uint64_t writes_processed = 0;  // total_writes_processed
  // Clients closed for exceeding client-query-buffer-limit / client-output-buffer-limit
  // (client_query_buffer_limit_disconnections, client_output_buffer_limit_disconnections).
  uint64_t query_buffer_limit_disconnections = 0;
  uint64_t output_buffer_limit_disconnections = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  // Bytes read per read call, as Redis's PROTO_IOBUF_LEN.
  static constexpr size_t kReadChunk = 16 * 1024;
  // Bytes of the first read of each readiness, into the connection's own array: a request of
  // an unpipelined client fits, so it costs one recv; a longer read continues in the shared
  // buffer with a second, non-blocking one.
  static constexpr size_t kFirstRead = 256;
  // The first read's size for a connection whose reads filled kFirstRead (a client pipelining,
  // or sending values of a few hundred bytes and more), in a heap block it holds while that
  // lasts: one recv instead of two per readiness for requests up to this size. Given back
  // after kNarrowReadsToShrink reads in a row that would have fitted kFirstRead.
  static constexpr size_t kWideFirstRead = 2048;
  static constexpr uint8_t kNarrowReadsToShrink = 16;
  // A client that sent nothing for this long gives the wide block back (ShrinkIdleBuffers).
  static constexpr int64_t kWideFirstReadIdleMs = 1000;
  // Bytes read per read call by a greedy connection (set_greedy_reads) while a partial request
  // waits in its own buffer; the same as the shared read buffer.
  static constexpr size_t kGreedyReadChunk = 64 * 1024;

  // `tls` null: a plain connection; otherwise TLS with that context (handshake first).
  Connection(Socket socket, ConnectionHandler* handler, const ConnectionLimits* limits,
             NetStats* stats, uint64_t id, std::string peer, std::string local, bool unix_socket,
             std::shared_ptr<TlsContext> tls = nullptr);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Allocates the read buffer all connections share (so that it is part of startup memory
  // rather than appearing with the first client).
  static void PrepareSharedBuffers();

  // Calls OnOpen and starts reading (after the TLS handshake for TLS; a failed handshake is
  // logged and closes the connection without OnOpen).
  void Start();
  // For a socket this server opened itself (a replica's link to its primary, after the
  // handshake and the transfer of the data): calls OnOpen and starts reading, with `initial`
  // (bytes already read from the socket) as the first input. Plain TCP only.
  void Adopt(std::string_view initial);
  // Closes now; pending output is dropped. Safe to call more than once.
  void Close();
  // Closes once every queued reply has been written.
  void CloseAfterReply();

  // Stops handing requests over after the one being handled (a blocked client, a client
  // postponed by CLIENT PAUSE). The connection keeps reading, so that a disconnect is seen and
  // pipelined input is kept, but parses nothing until Resume. With `retry_current`, the request
  // being handled stays unconsumed and is handed over again after Resume.
  void Suspend(bool retry_current = false);
  // Hands the pending input over again, on a later turn of the loop; with none pending and a
  // read in progress there is nothing to hand over, and requests are taken as they arrive.
  void Resume();
  bool suspended() const { return suspended_; }
  // Writes the queued output now (output added by another connection's command or a timer),
  // after the output buffer limits are checked. A connection in the middle of handling its own
  // requests writes at the end of its batch instead.
  void SendQueuedOutput();
  // Output added by another connection's command (a published message, a wake-up): checks the
  // output buffer limits at once, as Redis does on every addition, so that a publisher's
  // pipeline cannot fill a subscriber far past its limit before the end of the batch. Past a
  // limit the connection is marked to close and drops what it has and what is added later
  // (Redis's CLIENT_CLOSE_ASAP); the caller closes it on the next loop turn when told kClose.
  enum class QueuedOutput : uint8_t { kAccepted, kClose, kDropped };
  QueuedOutput AcceptQueuedOutput();

  // Which client-output-buffer-limit class applies (a subscriber's is pubsub's).
  void set_output_class(OutputClass c) { output_class_ = c; }
  OutputClass output_class() const { return output_class_; }

  // A connection whose peer streams requests without waiting for replies (the link to this
  // server's primary) makes room for kGreedyReadChunk before every read into its own buffer,
  // which is nearly always where a stream's reads go (a partial command waits there), where
  // other connections do so only after a read that filled its room: at 16 KB a read, one read
  // a loop turn, a replica that fell behind a fast primary by a scheduling hiccup caught up too
  // slowly to notice (Redis lets its master client's query buffer grow greedily).
  void set_greedy_reads(bool on) { greedy_reads_ = on; }

  // During OnRequest: the bytes of the request being handed over, as received (a replica counts
  // its primary's stream in bytes and passes it on as it came). The view is valid until
  // OnRequest returns.
  std::string_view current_request() const { return current_request_; }
  uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }
  const std::string& local() const { return local_; }
  bool unix_socket() const { return unix_socket_; }
  bool tls() const { return transport_.tls(); }
  int fd();
  bool closed() const { return closed_; }

  protocol::ReplyBuilder& reply() { return reply_; }
  protocol::RequestParser& parser() { return parser_; }
  ConnectionState* state() { return state_.get(); }
  const ConnectionState* state() const { return state_.get(); }
  void set_state(std::unique_ptr<ConnectionState> s) { state_ = std::move(s); }

  // Sizes for CLIENT LIST and INFO (bytes).
  size_t query_buffer_used() const { return qend_ - qstart_; }
  size_t query_buffer_free() const { return qcap_ - qend_; }
  size_t query_buffer_capacity() const { return qcap_; }
  // Output not yet written: queued replies plus the part of the in-flight write not yet sent.
  size_t output_pending() const { return reply_.size() + (sending_.size() - sent_); }
  // Memory held by output buffers (capacities).
  size_t output_memory() const { return reply_.buffer().capacity() + sending_.capacity(); }
  // Gives back buffer capacity an idle connection does not need (the parser's argument tables
  // beyond recent requests, an empty output buffer's capacity): the server calls it about once
  // a second per connection.
  void ShrinkIdleBuffers();
  bool writing() const { return writing_; }
  // Milliseconds (Unix) of the creation and of the last request.
  int64_t created_ms() const { return created_ms_; }
  int64_t last_interaction_ms() const { return last_interaction_ms_; }
  // Bytes asio allocates for each open socket (the epoll reactor's descriptor_state). asio
  // pools these: a closed socket's state is kept for the next socket and never freed, so the
  // pool holds as many as there were sockets open at once. 0 where asio has no such state.
  static size_t SocketStateBytes();

  // Calls fn(bytes) once for every heap block this connection holds (query buffer, output
  // buffers, parser tables, address strings), with the size it asked the allocator for. The
  // Connection object itself and asio's per-socket state are not included: the owner knows how
  // it allocated the former, and the latter is asio's (see the server's ClientMemory).
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

 private:
  void Open();
  void StartRead();
  void OnRead(const asio::error_code& ec, size_t n);
  void ProcessInput();
  void ResumeNow();
  void Flush();
  void OnWritten(const asio::error_code& ec, size_t n);
  bool CheckOutputLimits();
  bool OverOutputLimits();
  // Room for at least max(kReadChunk, min_room) more bytes after qend_ (and for all of a big
  // argument in progress), the pending bytes moved to the front.
  void EnsureReadSpace(size_t min_room = kReadChunk);
  // After a read that put `first` bytes in the first-read buffer: holds or gives back the wide
  // one (kWideFirstRead) for the reads that follow.
  void AdaptFirstRead(size_t first);
  void ReleaseIdleBuffers();

  Transport transport_;
  ConnectionHandler* handler_;
  const ConnectionLimits* limits_;
  NetStats* stats_;
  uint64_t id_;
  std::string peer_;
  std::string local_;
  bool unix_socket_;

  // Query buffer: bytes [qstart_, qend_) are received and not yet consumed.
  std::unique_ptr<char[]> qbuf_;  // null when no partial request is pending
  size_t qcap_ = 0;
  size_t qstart_ = 0;
  size_t qend_ = 0;
  std::string_view qbuf_view_;  // the shared read buffer's bytes during ProcessInput
  // Where the asynchronous read of StartRead lands: the array, or while wide_held_ the
  // kWideFirstRead block (new[]) whose address then takes the array's place. The array is never
  // read into while the block is held, so they share the storage: one pointer more would put
  // a Connection (with its shared_ptr control block) in the next jemalloc size class, 128 bytes
  // more for every client.
  union {
    char first_read_[kFirstRead];
    char* wide_first_read_;
  };
  protocol::RequestParser parser_;

  protocol::ReplyBuilder reply_;
  std::string sending_;  // the buffer of the write in flight
  size_t sent_ = 0;      // bytes of sending_ already written

  std::unique_ptr<ConnectionState> state_;
  int64_t created_ms_ = 0;
  int64_t last_interaction_ms_ = 0;
  int64_t soft_limit_since_ms_ = 0;  // when output first exceeded the soft limit; 0 if not
  std::string_view current_request_;
  bool reading_ = false;
  // The read in progress waited in the reactor (Transport::ReadWaits) and no write waited
  // beside it: its handler runs right after its recv, so a short read proves the socket empty
  // (Transport::MarkReadDrained). A write completed by the same epoll event would run first and
  // delay the read's handler past an epoll_wait.
  bool read_runs_after_recv_ = false;
  bool writing_ = false;
  bool processing_ = false;
  bool close_after_reply_ = false;
  bool closed_ = false;
  bool close_asap_ = false;  // past an output limit: dropping output, closing next turn
  bool suspended_ = false;
  bool retry_current_ = false;
  bool greedy_reads_ = false;
  bool read_filled_ = false;  // the last read filled all the room it had
  bool wide_held_ = false;     // wide_first_read_ is in use (see first_read_)
  uint8_t narrow_reads_ = 0;   // reads in a row into the wide block that fitted kFirstRead
  bool taking_wide_back_ = false;  // ShrinkIdleBuffers cancelled the read that holds it
  OutputClass output_class_ = OutputClass::kNormal;
};

}  // namespace mnemo::net
