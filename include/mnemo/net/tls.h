// tls.h: TLS for client connections: the options the tls-* parameters give, the server's
// OpenSSL context made from them, and the parsing of tls-protocols (layer: net).
//
// The context is made once (at start, or when CONFIG SET changes a tls-* parameter) and shared
// by the connections accepted while it is current; a connection keeps the context it was
// accepted with. Making a context checks everything Redis checks (files, key, CA, protocols,
// ciphers) and fails with the text Redis logs, so a bad setting is refused before any client
// sees it.
//
// OpenSSL's allocations are routed through the mem layer by the server (server/tls_memory.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mnemo/base/status.h"

namespace asio::ssl {
class context;
}  // namespace asio::ssl

namespace mnemo::net {

// tls-auth-clients.
enum class TlsAuthClients : uint8_t { kNo, kYes, kOptional };

// What the tls-* parameters say. Empty strings are "not set" (Redis's EMPTY_STRING_IS_NULL).
struct TlsOptions {
  std::string cert_file;      // tls-cert-file (PEM, may hold the chain)
  std::string key_file;       // tls-key-file (PEM)
  std::string key_file_pass;  // tls-key-file-pass
  std::string ca_cert_file;   // tls-ca-cert-file: CAs that sign client certificates
  std::string ca_cert_dir;    // tls-ca-cert-dir (hashed, as `openssl rehash` makes it)
  TlsAuthClients auth_clients = TlsAuthClients::kYes;
  std::string protocols;     // tls-protocols; "" is "TLSv1.2 TLSv1.3"
  std::string ciphers;       // tls-ciphers (TLSv1.2 and below); "" OpenSSL's default
  std::string ciphersuites;  // tls-ciphersuites (TLSv1.3); "" OpenSSL's default
  bool prefer_server_ciphers = false;
};

// Protocol bits of ParseTlsProtocols.
enum TlsProtocol : unsigned {
  kTlsV1 = 1u << 0,
  kTlsV1_1 = 1u << 1,
  kTlsV1_2 = 1u << 2,
  kTlsV1_3 = 1u << 3,
};

// Parses tls-protocols as Redis does: words separated by single spaces, each one of TLSv1,
// TLSv1.1, TLSv1.2, TLSv1.3 (any case); "" means TLSv1.2 and TLSv1.3. The error is Redis's:
// "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and
// 'TLSv1.3'."
[[nodiscard]] Result<unsigned> ParseTlsProtocols(std::string_view text);

// The server side of TLS: an OpenSSL context with the certificate, key, CAs and policy.
class TlsContext {
 public:
  // Makes a context, or returns why not with the text Redis logs ("No tls-cert-file
  // configured!", "Failed to load certificate: <file>: <OpenSSL error>", ...).
  [[nodiscard]] static Result<std::shared_ptr<TlsContext>> Create(const TlsOptions& options);

  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  asio::ssl::context& native() { return *context_; }

 private:
  explicit TlsContext(std::unique_ptr<asio::ssl::context> context);
  std::unique_ptr<asio::ssl::context> context_;
};

// The text of OpenSSL's most recent error on this thread (and clears the queue), as Redis
// prints it ("error:0A0000C7:SSL routines::peer did not return a certificate").
std::string TakeTlsError();

}  // namespace mnemo::net
