// transport.h: how a connection's bytes travel: a plain socket, or TLS over it (layer: net).
//
// Plain sockets keep the fast path of docs/architecture.md: an asynchronous read of a few
// hundred bytes into the connection's own small buffer (asio tries it at once, unless the last
// read emptied the socket (MarkReadDrained), and otherwise waits for the edge-triggered epoll
// event without touching the epoll registration), then, when that buffer filled,
// a non-blocking read of the rest straight into whatever buffer the caller chooses (the 16 KB
// buffer all connections share); writes go out without blocking first, asynchronously only for
// what the socket did not take. Waiting for readiness instead (async_wait) would cost an
// epoll_ctl per request: asio re-arms the descriptor for every non-speculative wait.
//
// TLS uses asio::ssl::stream over the same socket: a handshake first (bounded by a deadline),
// then reads are asynchronous reads of decrypted bytes into the transport's own 16 KB buffer,
// which ReadSome hands out. Waiting for the socket to be readable would not do: OpenSSL may
// already hold decrypted bytes (several records arrive in one segment) while the socket has
// nothing more, and a non-blocking SSL write could take bytes it then cannot send. So every TLS
// read and write is an asynchronous operation of the stream, one of each at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include <asio.hpp>

#include "mnemo/base/function_ref.h"
#include "mnemo/net/tls.h"

namespace mnemo::net {

class Transport {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  using WaitHandler = std::function<void(const asio::error_code&)>;
  using WriteHandler = std::function<void(const asio::error_code&, size_t)>;

  // `tls` null: a plain socket.
  Transport(Socket socket, std::shared_ptr<TlsContext> tls);
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport();

  bool tls() const { return tls_ != nullptr; }
  Socket& socket() { return socket_; }
  int fd() { return static_cast<int>(socket_.native_handle()); }

  // Calls fn(ec) once the connection is ready for requests: at once (before returning) for a
  // plain socket, after the TLS handshake for TLS. An error (a failed handshake, the deadline)
  // is the caller's to log and close on; TakeHandshakeError() tells what OpenSSL said.
  void Handshake(WaitHandler fn);
  std::string TakeHandshakeError();

  // Reads what arrives into [buf, buf + n), then calls fn(ec, bytes) (plain); the read is tried
  // at once and only waits when nothing is there, so the socket's epoll registration is left
  // as it is (async_wait re-arms it with an epoll_ctl per call). TLS: waits as WaitRead does
  // and calls fn(ec, 0); the bytes are then ReadSome's. REQUIRES: the buffer outlives the read.
  template <typename Fn>
  void ReadSomeAsync(char* buf, size_t n, Fn&& fn) {
    if (!tls_) {
      socket_.async_read_some(asio::buffer(buf, n), std::forward<Fn>(fn));
      return;
    }
    TlsWaitRead([fn = std::forward<Fn>(fn)](const asio::error_code& ec) mutable { fn(ec, 0); });
  }
  // Reads what is available without blocking; would_block when nothing is (wait again).
  size_t ReadSome(char* buf, size_t n, asio::error_code& ec) {
    if (!tls_) return socket_.read_some(asio::buffer(buf, n), ec);
    return TlsReadSome(buf, n, ec);
  }
  // Plain sockets: the last read emptied the socket's receive queue (it returned fewer bytes
  // than it had room for, or would_block), so the next ReadSomeAsync waits for epoll to report
  // new bytes rather than first trying a recv. asio tries that recv on every read it starts
  // unless it saw the socket run dry, which it only concludes at end of stream; a client that
  // waits for our reply (or is blocked in BLPOP) would make that recv fail with EAGAIN, one
  // wasted syscall per request. Bytes that arrive later are reported by epoll (edge-triggered:
  // every arrival queues an event), and asio sets the flag back at every event of the socket,
  // so nothing is missed, provided that no event of the socket was collected between that read
  // and this call (the flag it set would be lost, and with it bytes that arrived meanwhile).
  // REQUIRES: no epoll_wait of the loop since that read. TLS: no effect.
  void MarkReadDrained();
  // Plain sockets: true iff the asynchronous read just started waits in asio's reactor rather
  // than having completed at once (a speculative recv that found bytes; its handler then runs
  // later, possibly after an epoll_wait). A waiting read is done by the reactor when epoll
  // reports the socket, and its handler runs right after that recv. TLS: false.
  bool ReadWaits();

  // Writes what the socket takes now without blocking (plain); TLS writes nothing here
  // (would_block) and leaves it all to AsyncWrite.
  size_t TryWrite(const char* data, size_t n, asio::error_code& ec) {
    if (!tls_) return socket_.write_some(asio::buffer(data, n), ec);
    ec = asio::error::would_block;
    return 0;
  }
  // Writes all `n` bytes, then calls fn(ec, n). REQUIRES: one write at a time; the bytes stay
  // valid until fn runs.
  template <typename Fn>
  void AsyncWrite(const char* data, size_t n, Fn&& fn) {
    if (!tls_) {
      asio::async_write(socket_, asio::buffer(data, n), std::forward<Fn>(fn));
      return;
    }
    TlsAsyncWrite(data, n, WriteHandler(std::forward<Fn>(fn)));
  }

  // Closes the socket; operations in flight complete with operation_aborted.
  void Close();

  // Calls fn(bytes) for every heap block the transport holds (TLS: the stream and its buffer;
  // OpenSSL's own state is counted by TlsAllocatedBytes).
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

  // The longest a TLS handshake may take before the connection is closed.
  static constexpr int kHandshakeTimeoutMs = 10000;

 private:
  struct TlsState;
  void TlsWaitRead(WaitHandler fn);
  size_t TlsReadSome(char* buf, size_t n, asio::error_code& ec);
  void TlsAsyncWrite(const char* data, size_t n, WriteHandler fn);

  Socket socket_;
  std::unique_ptr<TlsState> tls_;
};

}  // namespace mnemo::net
