// tls_files.h: a throwaway certificate authority and certificates, made with the openssl command
// line in a temporary directory for the TLS tests, removed when the object goes away
// (tests/support).
#pragma once

#include <string>
#include <vector>

namespace mnemo::test {

class TlsFiles {
 public:
  // Makes everything below (RSA 2048, valid for two days); ok() tells whether it worked.
  TlsFiles();
  TlsFiles(const TlsFiles&) = delete;
  TlsFiles& operator=(const TlsFiles&) = delete;
  ~TlsFiles();

  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  // The CA, and the server's certificate it signed (subjectAltName IP:127.0.0.1, localhost).
  std::string ca_cert() const { return dir_ + "/ca.crt"; }
  std::string server_cert() const { return dir_ + "/server.crt"; }
  std::string server_key() const { return dir_ + "/server.key"; }
  // The server's key encrypted with the pass phrase kKeyPass.
  std::string server_key_encrypted() const { return dir_ + "/server-enc.key"; }
  static constexpr const char* kKeyPass = "correct horse";
  // A client certificate the CA signed.
  std::string client_cert() const { return dir_ + "/client.crt"; }
  std::string client_key() const { return dir_ + "/client.key"; }
  // A client certificate signed by another CA, which the server does not trust.
  std::string rogue_cert() const { return dir_ + "/rogue.crt"; }
  std::string rogue_key() const { return dir_ + "/rogue.key"; }
  // A directory holding the CA under its hash name (openssl rehash), for tls-ca-cert-dir.
  std::string ca_dir() const { return dir_ + "/cadir"; }

  // The server flags of a TLS listener on `tls_port` with these files.
  std::vector<std::string> ServerArgs(int tls_port) const;

 private:
  std::string dir_;
  bool ok_ = false;
};

}  // namespace mnemo::test
