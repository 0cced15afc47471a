// tls_files.cc: the test certificate authority (tests/support).
#include "tls_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "raw_socket.h"

namespace mnemo::test {

namespace {

bool Run(const std::vector<std::string>& argv) {
  int code = -1;
  const std::string out = RunProgram(argv, &code);
  EXPECT_EQ(code, 0) << argv[0] << " " << argv[1] << ":\n" << out;
  return code == 0;
}

// A key and a certificate signed by `ca` (its cert and key), with `ext` as extensions.
bool Issue(const std::string& dir, const std::string& name, const std::string& subject,
           const std::string& ca, const std::string& ext) {
  const std::string base = dir + "/" + name;
  if (!Run({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out",
            base + ".csr", "-subj", subject})) {
    return false;
  }
  std::vector<std::string> sign = {"openssl",
                                   "x509",
                                   "-req",
                                   "-in",
                                   base + ".csr",
                                   "-CA",
                                   dir + "/" + ca + ".crt",
                                   "-CAkey",
                                   dir + "/" + ca + ".key",
                                   "-CAcreateserial",
                                   "-out",
                                   base + ".crt",
                                   "-days",
                                   "2"};
  if (!ext.empty()) {
    std::ofstream(base + ".ext") << ext << "\n";
    sign.push_back("-extfile");
    sign.push_back(base + ".ext");
  }
  return Run(sign);
}

bool MakeCa(const std::string& dir, const std::string& name, const std::string& subject) {
  return Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
              dir + "/" + name + ".key", "-out", dir + "/" + name + ".crt", "-days", "2", "-subj",
              subject});
}

}  // namespace

TlsFiles::TlsFiles() {
  char tmpl[] = "/tmp/mnemo-tls-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return;
  dir_ = tmpl;
  ok_ = MakeCa(dir_, "ca", "/O=Mnemo Test/CN=Test CA") &&
        Issue(dir_, "server", "/O=Mnemo Test/CN=localhost", "ca",
              "subjectAltName=IP:127.0.0.1,DNS:localhost") &&
        Issue(dir_, "client", "/O=Mnemo Test/CN=client", "ca", "") &&
        MakeCa(dir_, "rogue-ca", "/O=Elsewhere/CN=Rogue CA") &&
        Issue(dir_, "rogue", "/O=Elsewhere/CN=client", "rogue-ca", "") &&
        Run({"openssl", "pkey", "-in", server_key(), "-aes-256-cbc", "-passout",
             std::string("pass:") + kKeyPass, "-out", server_key_encrypted()});
  if (!ok_) return;
  std::filesystem::create_directories(ca_dir());
  std::filesystem::copy_file(ca_cert(), ca_dir() + "/ca.crt");
  ok_ = Run({"openssl", "rehash", ca_dir()});
}

TlsFiles::~TlsFiles() {
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::vector<std::string> TlsFiles::ServerArgs(int tls_port) const {
  return {
      "--tls-port", std::to_string(tls_port), "--tls-cert-file", server_cert(), "--tls-key-file",
      server_key(), "--tls-ca-cert-file",     ca_cert()};
}

}  // namespace mnemo::test
