// raw_socket.h: a plain TCP client for integration tests that must control the bytes on the wire
// exactly (pipelines in one buffer, split requests, garbage, clients that never read)
// (tests/support).
//
// Every wait is bounded by a timeout so that a misbehaving server fails the test instead of
// hanging it. SIGPIPE is ignored by the process once a RawSocket exists: writing to a socket the
// server closed must be an error value, not the death of the test binary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "resp_value.h"

namespace mnemo::test {

class RawSocket {
 public:
  // Connects to 127.0.0.1:`port`. ok() tells whether it worked.
  explicit RawSocket(int port);
  // Connects to `host`:`port` (an IPv4 or IPv6 address) from `source` (an address of this
  // machine, such as 127.0.0.2; "" lets the kernel choose).
  RawSocket(const std::string& host, int port, const std::string& source);
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sets SO_RCVBUF (before much is received), so that the kernel absorbs little of what the
  // server sends to a client that does not read.
  void SetReceiveBuffer(int bytes);

  // Writes all of `data`. Returns false as soon as the peer has closed the connection (or resets
  // it) or nothing could be written for `timeout_ms`. When `read_while_sending`, whatever the
  // server sends meanwhile is read and kept for ReadReplies/ReadUntilClosed (a server that
  // replies to a huge pipeline must not deadlock with us); otherwise nothing is read.
  bool SendAll(std::string_view data, bool read_while_sending = true, int timeout_ms = 20000);
  // Writes `data` with one send() per byte: the slowest sender there is.
  bool SendByteByByte(std::string_view data);

  // Reads until `n` complete replies have arrived, the peer closes, or `timeout_ms` passes;
  // returns the replies parsed (fewer than `n` on close or timeout).
  std::vector<RespValue> ReadReplies(size_t n, int timeout_ms = 20000);
  // Reads until the peer closes the connection or `timeout_ms` passes without it closing.
  // Returns every byte received and not yet consumed as replies; *closed says whether the peer
  // closed (EOF or reset).
  std::string ReadUntilClosed(int timeout_ms, bool* closed);
  // True iff the peer has closed the connection (polls for up to `timeout_ms`). Bytes that
  // arrive first are kept.
  bool WaitClosed(int timeout_ms);
  // True iff the peer closed the connection as far as we have seen.
  bool peer_closed() const { return peer_closed_; }
  // Total bytes sent by SendAll/SendByteByByte.
  size_t bytes_sent() const { return bytes_sent_; }

 private:
  // Reads what is available without blocking. Returns false if the peer has closed.
  bool Drain();
  // Waits until the socket is readable, at most `timeout_ms`, and drains it. Returns false when
  // nothing came in time.
  bool WaitAndDrain(int timeout_ms);

  int fd_ = -1;
  std::string in_;          // bytes received
  size_t in_consumed_ = 0;  // of which parsed into replies already
  bool peer_closed_ = false;
  size_t bytes_sent_ = 0;
};

// Runs `argv` (argv[0] looked up in PATH) with `stdin_text` as its input, waits for it (killing
// it after `timeout_ms`), and returns its stdout and stderr interleaved. *exit_code is the exit
// status, or -1 if it died by a signal or timed out.
std::string RunProgram(const std::vector<std::string>& argv, int* exit_code,
                       const std::string& stdin_text = "", int timeout_ms = 60000);

}  // namespace mnemo::test
