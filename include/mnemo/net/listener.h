// listener.h: accepts TCP and unix-socket connections on the event loop (layer: net).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "mnemo/base/status.h"
#include "mnemo/net/connection.h"

namespace mnemo::net {

struct ListenOptions {
  std::vector<std::string> bind = {"*",
                                   "-::*"};  // bind: "*" any IPv4, "::*" any IPv6, '-' optional
  int port = 6379;                           // 0: no TCP listener
  int tls_port = 0;                          // tls-port: TLS clients (0: none), same addresses
  int backlog = 511;                         // tcp-backlog
  int keepalive_s = 300;                     // tcp-keepalive (0: off)
  std::string unix_socket;                   // unixsocket ("" : none)
  int unix_socket_perm = 0;                  // unixsocketperm (octal, 0: umask)
};

class Listener {
 public:
  // Receives each accepted socket; the server creates the Connection.
  using AcceptFn = std::function<void(Connection::Socket socket, std::string peer,
                                      std::string local, bool unix_socket, bool tls)>;

  Listener(asio::io_context& io, AcceptFn on_accept);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  // Opens every configured address. Fails if a required address cannot be bound (an address
  // prefixed with '-' may fail silently, as in Redis).
  Status Open(const ListenOptions& options);
  // Stops accepting and removes the unix socket file.
  void Close();
  // The TCP port actually bound (useful with port 0 in tests... when 0 was asked, none).
  int port() const { return port_; }
  // The first TCP address listened on that is not loopback ("0.0.0.0:6379"), or "".
  std::string NonLoopbackAddress() const;
  // tcp-keepalive for connections accepted from now on (0: off), as CONFIG SET applies it.
  void set_keepalive(int seconds) { keepalive_s_ = seconds; }

 private:
  struct Acceptor;
  // Listens on every bind address at `port`; a failed optional ('-') address is skipped.
  Status OpenTcp(const ListenOptions& options, int port, bool tls);
  void Accept(Acceptor* a);

  asio::io_context& io_;
  AcceptFn on_accept_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::string unix_path_;
  int keepalive_s_ = 300;
  int port_ = 0;
};

}  // namespace mnemo::net
