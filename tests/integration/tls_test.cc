// tls_test.cc: TLS clients with redis-cli --tls: certificates made at test time, client
// certificates required, optional or ignored, bad settings refused at start and by CONFIG SET
// with Redis's texts (compared with redis-server 7.0.15), encrypted keys, CA directories, plain
// clients on the TLS port, pipes over TLS (tests/integration; redis-py with ssl=True, protocol
// versions and protected mode over TLS are in python/test_tls.py).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mnemo/cmd/version.h"
#include "raw_socket.h"
#include "server_process.h"
#include "tls_files.h"

namespace mnemo::test {
namespace {

// redis-cli over TLS to `port`; `cert` "" sends no client certificate.
std::string TlsCli(int port, const std::string& ca, const std::string& cert, const std::string& key,
                   const std::vector<std::string>& command, int* code = nullptr,
                   const std::string& stdin_text = "") {
  std::vector<std::string> argv = {"redis-cli", "-p",       std::to_string(port),
                                   "--tls",     "--cacert", ca};
  if (!cert.empty()) {
    argv.insert(argv.end(), {"--cert", cert, "--key", key});
  }
  argv.insert(argv.end(), command.begin(), command.end());
  int ignored = 0;
  return RunProgram(argv, code != nullptr ? code : &ignored, stdin_text);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(files_.ok()); }

  std::string Cli(int port, const std::vector<std::string>& command, int* code = nullptr) {
    return TlsCli(port, files_.ca_cert(), files_.client_cert(), files_.client_key(), command, code);
  }
  std::string CliNoCert(int port, const std::vector<std::string>& command, int* code = nullptr) {
    return TlsCli(port, files_.ca_cert(), "", "", command, code);
  }
  std::string CliRogue(int port, const std::vector<std::string>& command, int* code = nullptr) {
    return TlsCli(port, files_.ca_cert(), files_.rogue_cert(), files_.rogue_key(), command, code);
  }
  std::vector<std::string> Args(int tls_port, std::vector<std::string> more = {}) {
    std::vector<std::string> args = files_.ServerArgs(tls_port);
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  TlsFiles files_;
};

TEST_F(TlsTest, RedisCliWithAClientCertificate) {
  const int tls_port = FreePort();
  ServerProcess s(Args(tls_port));
  ASSERT_TRUE(s.Alive()) << s.Log();
  EXPECT_NE(s.Log().find("Ready to accept connections tls"), std::string::npos);
  int code = -1;
  EXPECT_EQ(Cli(tls_port, {"PING"}, &code), "PONG\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Cli(tls_port, {"SET", "greeting", "hello over tls"}), "OK\n");
  EXPECT_EQ(Cli(tls_port, {"GET", "greeting"}), "hello over tls\n");
  // The same data over the plain port.
  EXPECT_EQ(s.Command({"GET", "greeting"}).ToString(), "hello over tls");
  // CLIENT LIST shows a TLS client like any other, its laddr the tls-port (as Redis 7.0).
  const std::string line = Cli(tls_port, {"CLIENT", "INFO"});
  EXPECT_NE(line.find(" laddr=127.0.0.1:" + std::to_string(tls_port) + " "), std::string::npos)
      << line;
  // A pipe of many commands in one go.
  std::string input;
  for (int i = 0; i < 2000; ++i)
    input += "SET key:" + std::to_string(i) + " " + std::to_string(i) + "\n";
  const std::string out = TlsCli(tls_port, files_.ca_cert(), files_.client_cert(),
                                 files_.client_key(), {}, &code, input);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(s.Command({"DBSIZE"}).integer, 2001);
}

TEST_F(TlsTest, ClientWithoutAValidCertificateIsRefused) {
  const int tls_port = FreePort();
  ServerProcess s(Args(tls_port));  // tls-auth-clients yes (the default)
  int code = 0;
  EXPECT_EQ(CliNoCert(tls_port, {"PING"}, &code), "Error: Server closed the connection\n");
  EXPECT_NE(code, 0);
  EXPECT_EQ(CliRogue(tls_port, {"PING"}, &code), "Error: Server closed the connection\n");
  EXPECT_NE(code, 0);
  // Redis's log lines, with OpenSSL's reasons.
  const std::string log = s.Log();
  EXPECT_NE(log.find("Error accepting a client connection: error:0A0000C7:SSL routines::peer did "
                     "not return a certificate"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("Error accepting a client connection: error:0A000086:SSL "
                     "routines::certificate verify failed"),
            std::string::npos)
      << log;
  // Refused before they became clients.
  EXPECT_EQ(s.Command({"CLIENT", "LIST"}).str.find("laddr=127.0.0.1:" + std::to_string(tls_port)),
            std::string::npos);
  EXPECT_EQ(Cli(tls_port, {"PING"}), "PONG\n");
}

TEST_F(TlsTest, AuthClientsOptionalAndNo) {
  const int optional_port = FreePort();
  ServerProcess optional(Args(optional_port, {"--tls-auth-clients", "optional"}));
  EXPECT_EQ(CliNoCert(optional_port, {"PING"}), "PONG\n");
  EXPECT_EQ(Cli(optional_port, {"PING"}), "PONG\n");
  // A certificate that is sent is checked.
  EXPECT_EQ(CliRogue(optional_port, {"PING"}), "Error: Server closed the connection\n");
  const int no_port = FreePort();
  ServerProcess no(Args(no_port, {"--tls-auth-clients", "no"}));
  EXPECT_EQ(CliNoCert(no_port, {"PING"}), "PONG\n");
  EXPECT_EQ(CliRogue(no_port, {"PING"}), "PONG\n");
  EXPECT_EQ(no.Command({"CONFIG", "GET", "tls-auth-clients"}).ToString(), "[tls-auth-clients, no]");
}

TEST_F(TlsTest, PlainClientOnTheTlsPortIsClosed) {
  const int tls_port = FreePort();
  ServerProcess s(Args(tls_port));
  RawSocket raw(tls_port);
  ASSERT_TRUE(raw.ok());
  raw.SendAll("PING\r\n");
  bool closed = false;
  EXPECT_EQ(raw.ReadUntilClosed(5000, &closed).find("PONG"), std::string::npos);
  EXPECT_TRUE(closed);
  EXPECT_NE(s.Log().find("wrong version number"), std::string::npos) << s.Log();
}

TEST_F(TlsTest, SilentClientIsClosedAfterTheHandshakeDeadline) {
  // The deadline is 10 s: this test waits for it.
  const int tls_port = FreePort();
  ServerProcess s(Args(tls_port));
  RawSocket silent(tls_port);
  ASSERT_TRUE(silent.ok());
  EXPECT_FALSE(silent.WaitClosed(8000));
  EXPECT_TRUE(silent.WaitClosed(5000));
  // Logged when the aborted handshake completes, just after the socket closed.
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    logged = s.Log().find("Error accepting a client connection: TLS handshake timed out") !=
             std::string::npos;
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(logged) << s.Log();
}

TEST_F(TlsTest, EncryptedKeyAndCaDirectory) {
  const int tls_port = FreePort();
  ServerProcess s({"--tls-port", std::to_string(tls_port), "--tls-cert-file", files_.server_cert(),
                   "--tls-key-file", files_.server_key_encrypted(), "--tls-key-file-pass",
                   TlsFiles::kKeyPass, "--tls-ca-cert-dir", files_.ca_dir()});
  ASSERT_TRUE(s.Alive()) << s.Log();
  EXPECT_EQ(Cli(tls_port, {"PING"}), "PONG\n");
  EXPECT_EQ(CliRogue(tls_port, {"PING"}), "Error: Server closed the connection\n");
  // The pass phrase never reaches the log.
  EXPECT_EQ(s.Log().find(TlsFiles::kKeyPass), std::string::npos);
}

// ---- bad settings: at start and by CONFIG SET, against redis-server 7.0.15 ------------------

TEST_F(TlsTest, BadSettingsStopTheStartWithRedisLogLines) {
  struct Case {
    std::vector<std::string> args;
    std::string log_line;  // what both servers log before giving up
  };
  const std::string missing = files_.dir() + "/missing.crt";
  const std::vector<Case> cases = {
      {{"--tls-key-file", files_.server_key(), "--tls-ca-cert-file", files_.ca_cert()},
       "No tls-cert-file configured!"},
      {{"--tls-cert-file", files_.server_cert(), "--tls-ca-cert-file", files_.ca_cert()},
       "No tls-key-file configured!"},
      {{"--tls-cert-file", files_.server_cert(), "--tls-key-file", files_.server_key()},
       "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
       "tls-replication or tls-auth-clients are enabled!"},
      {{"--tls-cert-file", missing, "--tls-key-file", files_.server_key(), "--tls-ca-cert-file",
        files_.ca_cert()},
       "Failed to load certificate: " + missing +
           ": error:80000002:system library::No such file "
           "or directory"},
      {{"--tls-cert-file", files_.server_cert(), "--tls-key-file", files_.client_key(),
        "--tls-ca-cert-file", files_.ca_cert()},
       "Failed to load private key: " + files_.client_key() +
           ": error:05800074:x509 certificate "
           "routines::key values mismatch"},
      {{"--tls-cert-file", files_.server_cert(), "--tls-key-file", files_.server_key(),
        "--tls-ca-cert-file", files_.ca_cert(), "--tls-ciphers", "NO-SUCH-CIPHER"},
       "Failed to configure ciphers: NO-SUCH-CIPHER"},
      {{"--tls-cert-file", files_.server_cert(), "--tls-key-file", files_.server_key_encrypted(),
        "--tls-key-file-pass", "wrong", "--tls-ca-cert-file", files_.ca_cert()},
       "Failed to load private key: " + files_.server_key_encrypted() + ": "},
  };
  for (const Case& c : cases) {
    for (const std::string binary : {"mnemo-server", "redis-server"}) {
      std::vector<std::string> argv = {
          binary == "mnemo-server" ? std::string(getenv("MNEMO_SERVER")) : binary,
          "--port",
          std::to_string(FreePort()),
          "--tls-port",
          std::to_string(FreePort()),
          "--save",
          ""};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      int code = 0;
      const std::string out = RunProgram(argv, &code, "", 20000);
      EXPECT_EQ(code, 1) << binary << "\n" << out;
      EXPECT_NE(out.find(c.log_line), std::string::npos) << binary << "\n" << out;
      EXPECT_NE(out.find("Failed to configure TLS. Check logs for more info."), std::string::npos)
          << binary << "\n"
          << out;
    }
  }
}

TEST_F(TlsTest, ConfigSetAppliesAllOrNothingWithRedisErrors) {
  const int tls_port = FreePort();
  ServerProcess s(Args(tls_port));
  ServerProcess redis("",
                      {"--save", "", "--tls-port", std::to_string(FreePort()), "--tls-cert-file",
                       files_.server_cert(), "--tls-key-file", files_.server_key(),
                       "--tls-ca-cert-file", files_.ca_cert()},
                      ServerProcess::Bind::kLoopback, "redis-server");
  ASSERT_TRUE(redis.Alive()) << redis.Log();
  const std::vector<std::vector<std::string>> bad = {
      {"CONFIG", "SET", "tls-cert-file", files_.dir() + "/missing.crt"},
      {"CONFIG", "SET", "tls-key-file", files_.client_key()},
      {"CONFIG", "SET", "tls-ciphers", "NO-SUCH-CIPHER"},
      {"CONFIG", "SET", "tls-ca-cert-file", "", "tls-ca-cert-dir", ""},
      {"CONFIG", "SET", "tls-auth-clients", "maybe"},
  };
  for (const auto& argv : bad) {
    const std::string ours = s.Command(argv).ToString();
    EXPECT_EQ(ours, redis.Command(argv).ToString()) << argv[2];
    EXPECT_EQ(ours.rfind("(error) ERR CONFIG SET failed", 0), 0u) << ours;
  }
  // Nothing changed: the old files, and TLS still works with them.
  EXPECT_EQ(s.Command({"CONFIG", "GET", "tls-cert-file"}).ToString(),
            "[tls-cert-file, " + files_.server_cert() + "]");
  EXPECT_EQ(Cli(tls_port, {"PING"}), "PONG\n");
  EXPECT_NE(s.Log().find("Failed applying new configuration. Possibly related to new "
                         "tls-cert-file setting. Restoring previous settings."),
            std::string::npos);
  // A good change applies to new clients: optional client certificates.
  EXPECT_EQ(s.Command({"CONFIG", "SET", "tls-auth-clients", "optional"}).ToString(), "OK");
  EXPECT_EQ(CliNoCert(tls_port, {"PING"}), "PONG\n");
}

TEST_F(TlsTest, TlsPortCanBeOpenedAndClosedAtRuntime) {
  ServerProcess s({"--tls-cert-file", files_.server_cert(), "--tls-key-file", files_.server_key(),
                   "--tls-ca-cert-file", files_.ca_cert()});
  const int tls_port = FreePort();
  int code = 0;
  CliNoCert(tls_port, {"PING"}, &code);
  EXPECT_NE(code, 0);  // nothing listens yet
  EXPECT_EQ(s.Command({"CONFIG", "SET", "tls-port", std::to_string(tls_port)}).ToString(), "OK");
  EXPECT_EQ(Cli(tls_port, {"PING"}), "PONG\n");
  EXPECT_EQ(s.Command({"CONFIG", "SET", "tls-port", "0"}).ToString(), "OK");
  Cli(tls_port, {"PING"}, &code);
  EXPECT_NE(code, 0);
  // Without certificates, tls-port cannot be opened.
  ServerProcess bare;
  EXPECT_EQ(bare.Command({"CONFIG", "SET", "tls-port", std::to_string(FreePort())}).ToString(),
            "(error) ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to "
            "update TLS configuration. Check server logs.");
  EXPECT_EQ(bare.Command({"CONFIG", "GET", "tls-port"}).ToString(), "[tls-port, 0]");
}

TEST_F(TlsTest, BadProtocolsAreAConfigErrorWithItsLine) {
  int code = 0;
  const std::string out =
      RunProgram({std::string(getenv("MNEMO_SERVER")), "--port", std::to_string(FreePort()),
                  "--tls-protocols", "TLSv1.2 TLSv1.4"},
                 &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "\n*** FATAL CONFIG FILE ERROR (Mnemo " + std::string(cmd::kMnemoVersion) +
                     ") ***\nReading the configuration file, at line 2\n>>> 'tls-protocols "
                     "\"TLSv1.2 TLSv1.4\"'\nInvalid tls-protocols specified. Use a combination of "
                     "'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.\n");
}

}  // namespace
}  // namespace mnemo::test
