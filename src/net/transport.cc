// transport.cc: plain and TLS transports of a connection (layer: net).
#include "mnemo/net/transport.h"

#include <openssl/err.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include <asio/ssl.hpp>

#if defined(ASIO_HAS_EPOLL) && !defined(ASIO_HAS_IO_URING_AS_DEFAULT)
#define MNEMO_ASIO_EPOLL 1
namespace mnemo::net {
// Name the specializations below: the one place that reaches into asio's epoll reactor.
struct ReadDrainedTag {};
struct ReadWaitsQuery {
  void* state;  // the socket's asio::detail::epoll_reactor::descriptor_state
  bool waits;
};
}  // namespace mnemo::net

namespace asio::detail {
// asio keeps, per descriptor and operation type, whether the next operation should be tried at
// once (try_speculative_); it is private to the reactor and its friend object_pool_access.
// This explicit specialization of one of that friend's member templates (never used by asio
// itself: the tag type is ours) clears the flag for reads. Single event-loop thread: the
// descriptor's mutex guards nothing here. Checked against asio 1.22 (Debian 12); a build with
// another reactor compiles MarkReadDrained to nothing.
template <>
mnemo::net::ReadDrainedTag*
object_pool_access::create<mnemo::net::ReadDrainedTag, epoll_reactor::descriptor_state*>(
    epoll_reactor::descriptor_state* state) {
  if (state != nullptr) state->try_speculative_[epoll_reactor::read_op] = false;
  return nullptr;
}
// Whether a read operation waits in the descriptor's queue (answered through `query`).
template <>
mnemo::net::ReadWaitsQuery*
object_pool_access::create<mnemo::net::ReadWaitsQuery, mnemo::net::ReadWaitsQuery*>(
    mnemo::net::ReadWaitsQuery* query) {
  auto* state = static_cast<epoll_reactor::descriptor_state*>(query->state);
  query->waits = state != nullptr && !state->op_queue_[epoll_reactor::read_op].empty();
  return nullptr;
}
}  // namespace asio::detail
#endif

namespace mnemo::net {

namespace {

#if defined(MNEMO_ASIO_EPOLL)
// The socket's implementation (basic_socket::impl_ is protected: a pointer to member formed
// through a derived class reads it without any cast of the socket itself).
struct SocketImplAccess : Transport::Socket {
  static auto& Impl(Transport::Socket& s) { return s.*(&SocketImplAccess::impl_); }
};
#endif

// Decrypted bytes read per TLS read: one TLS record at most.
constexpr size_t kTlsReadChunk = 16 * 1024;

// What Redis logs for a failed accept: OpenSSL's error string for TLS errors.
std::string Describe(const asio::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof(buf));
    return buf;
  }
  return ec.message();
}

}  // namespace

struct Transport::TlsState {
  TlsState(Socket& socket, std::shared_ptr<TlsContext> ctx)
      : context(std::move(ctx)),
        stream(socket, context->native()),
        handshake_timer(socket.get_executor()) {}

  std::shared_ptr<TlsContext> context;  // the context this connection was accepted with
  asio::ssl::stream<Socket&> stream;
  asio::steady_timer handshake_timer;
  std::unique_ptr<char[]> buffer;  // decrypted bytes [begin, end) not yet handed out
  size_t begin = 0;
  size_t end = 0;
  std::string handshake_error;
};

Transport::Transport(Socket socket, std::shared_ptr<TlsContext> tls) : socket_(std::move(socket)) {
  if (tls) tls_ = std::make_unique<TlsState>(socket_, std::move(tls));
}

Transport::~Transport() = default;

void Transport::Handshake(WaitHandler fn) {
  if (!tls_) {
    fn(asio::error_code());
    return;
  }
  TlsState* t = tls_.get();
  t->handshake_timer.expires_after(std::chrono::milliseconds(kHandshakeTimeoutMs));
  t->handshake_timer.async_wait([this, t](const asio::error_code& ec) {
    if (ec) return;  // cancelled: the handshake ended first
    t->handshake_error = "TLS handshake timed out";
    asio::error_code ignored;
    socket_.close(ignored);
  });
  t->stream.async_handshake(asio::ssl::stream_base::server,
                            [t, fn = std::move(fn)](const asio::error_code& ec) {
                              t->handshake_timer.cancel();
                              if (ec && t->handshake_error.empty()) {
                                t->handshake_error = Describe(ec);
                              }
                              fn(ec);
                            });
}

std::string Transport::TakeHandshakeError() {
  if (!tls_) return "";
  return std::exchange(tls_->handshake_error, std::string());
}

void Transport::TlsWaitRead(WaitHandler fn) {
  TlsState* t = tls_.get();
  if (t->end > t->begin) {
    // Bytes left from the last read: ready now, on a later turn of the loop.
    asio::post(socket_.get_executor(), [fn = std::move(fn)] { fn(asio::error_code()); });
    return;
  }
  if (!t->buffer) t->buffer.reset(new char[kTlsReadChunk]);
  t->stream.async_read_some(asio::buffer(t->buffer.get(), kTlsReadChunk),
                            [t, fn = std::move(fn)](const asio::error_code& ec, size_t n) {
                              t->begin = 0;
                              t->end = ec ? 0 : n;
                              fn(ec);
                            });
}

size_t Transport::TlsReadSome(char* buf, size_t n, asio::error_code& ec) {
  TlsState* t = tls_.get();
  if (t->end == t->begin) {
    ec = asio::error::would_block;
    return 0;
  }
  const size_t k = std::min(n, t->end - t->begin);
  std::memcpy(buf, t->buffer.get() + t->begin, k);
  t->begin += k;
  ec = asio::error_code();
  return k;
}

void Transport::TlsAsyncWrite(const char* data, size_t n, WriteHandler fn) {
  asio::async_write(tls_->stream, asio::buffer(data, n), std::move(fn));
}

void Transport::MarkReadDrained() {
#if defined(MNEMO_ASIO_EPOLL)
  if (tls_) return;
  asio::detail::object_pool_access::create<ReadDrainedTag>(
      SocketImplAccess::Impl(socket_).get_implementation().reactor_data_);
#endif
}

bool Transport::ReadWaits() {
#if defined(MNEMO_ASIO_EPOLL)
  if (tls_) return false;
  ReadWaitsQuery query{SocketImplAccess::Impl(socket_).get_implementation().reactor_data_, false};
  asio::detail::object_pool_access::create<ReadWaitsQuery>(&query);
  return query.waits;
#else
  return false;
#endif
}

void Transport::Close() {
  asio::error_code ec;
  if (tls_) tls_->handshake_timer.cancel();
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
}

void Transport::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  if (!tls_) return;
  fn(sizeof(TlsState));
  if (tls_->buffer) fn(kTlsReadChunk);
}

}  // namespace mnemo::net
