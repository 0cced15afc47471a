// tls.cc: the server's OpenSSL context and tls-protocols (layer: net).
#include "mnemo/net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <asio/ssl/context.hpp>

#include "mnemo/base/strings.h"

namespace mnemo::net {

namespace {

// ---- the context --------------------------------------------------------------------------

// SSL_CTX_set_session_id_context: needed for session resumption when clients are verified.
constexpr unsigned char kSessionIdContext[] = "mnemo";
// Redis's session cache defaults (tls-session-cache-size, tls-session-cache-timeout).
constexpr long kSessionCacheSize = 20 * 1024;
constexpr long kSessionCacheTimeoutSeconds = 300;

int PasswordCallback(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || size <= 0) return 0;
  const size_t n = std::min(pass->size(), static_cast<size_t>(size - 1));
  std::memcpy(buf, pass->data(), n);
  buf[n] = '\0';
  return static_cast<int>(n);
}

}  // namespace

std::string TakeTlsError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

Result<unsigned> ParseTlsProtocols(std::string_view text) {
  if (text.empty()) return unsigned{kTlsV1_2 | kTlsV1_3};
  unsigned protocols = 0;
  size_t start = 0;
  while (true) {
    const size_t space = text.find(' ', start);
    const std::string_view word = text.substr(
        start, space == std::string_view::npos ? std::string_view::npos : space - start);
    if (EqualsIgnoreCase(word, "tlsv1")) {
      protocols |= kTlsV1;
    } else if (EqualsIgnoreCase(word, "tlsv1.1")) {
      protocols |= kTlsV1_1;
    } else if (EqualsIgnoreCase(word, "tlsv1.2")) {
      protocols |= kTlsV1_2;
    } else if (EqualsIgnoreCase(word, "tlsv1.3")) {
      protocols |= kTlsV1_3;
    } else {
      return Status::Error(
          "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' "
          "and 'TLSv1.3'.");
    }
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return protocols;
}

TlsContext::TlsContext(std::unique_ptr<asio::ssl::context> context)
    : context_(std::move(context)) {}

TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsOptions& o) {
  // The checks and texts of Redis's tlsConfigure/createSSLContext, in their order.
  if (o.cert_file.empty()) return Status::Error("No tls-cert-file configured!");
  if (o.key_file.empty()) return Status::Error("No tls-key-file configured!");
  if (o.auth_clients != TlsAuthClients::kNo && o.ca_cert_file.empty() && o.ca_cert_dir.empty()) {
    return Status::Error(
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
        "tls-replication or tls-auth-clients are enabled!");
  }
  Result<unsigned> protocols = ParseTlsProtocols(o.protocols);
  if (!protocols.ok()) return protocols.status();

  ERR_clear_error();
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION);
#ifdef SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS
  SSL_CTX_set_options(ctx, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS);
#endif
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
  SSL_CTX_set_options(ctx, SSL_OP_NO_CLIENT_RENEGOTIATION);
#endif
  if (!(*protocols & kTlsV1)) SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1);
  if (!(*protocols & kTlsV1_1)) SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_1);
  if (!(*protocols & kTlsV1_2)) SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_2);
  if (!(*protocols & kTlsV1_3)) SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_3);
  if (o.prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, kSessionCacheSize);
  SSL_CTX_set_timeout(ctx, kSessionCacheTimeoutSeconds);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  switch (o.auth_clients) {
    case TlsAuthClients::kNo:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case TlsAuthClients::kOptional:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case TlsAuthClients::kYes:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // The pass phrase is read while the key loads; the callback is cleared right after, so the
  // context keeps no pointer to `o`.
  SSL_CTX_set_default_passwd_cb(ctx, PasswordCallback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&o.key_file_pass));
  Status failed;
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) <= 0) {
    failed = Status::Error(
        fmt::format("Failed to load certificate: {}: {}", o.cert_file, TakeTlsError()));
  } else if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) <= 0) {
    failed = Status::Error(
        fmt::format("Failed to load private key: {}: {}", o.key_file, TakeTlsError()));
  } else if ((!o.ca_cert_file.empty() || !o.ca_cert_dir.empty()) &&
             SSL_CTX_load_verify_locations(
                 ctx, o.ca_cert_file.empty() ? nullptr : o.ca_cert_file.c_str(),
                 o.ca_cert_dir.empty() ? nullptr : o.ca_cert_dir.c_str()) <= 0) {
    failed = Status::Error(
        fmt::format("Failed to configure CA certificate(s) file/directory: {}", TakeTlsError()));
  } else if (!o.ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, o.ciphers.c_str())) {
    failed = Status::Error(fmt::format("Failed to configure ciphers: {}", o.ciphers));
  } else if (!o.ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx, o.ciphersuites.c_str())) {
    failed = Status::Error(fmt::format("Failed to configure ciphersuites: {}", o.ciphersuites));
  }
  SSL_CTX_set_default_passwd_cb(ctx, nullptr);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  ERR_clear_error();
  if (!failed.ok()) return failed;
  return std::shared_ptr<TlsContext>(new TlsContext(std::move(context)));
}

}  // namespace mnemo::net
