// listener.cc: TCP and unix-socket acceptors (layer: net).
#include "mnemo/net/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "mnemo/base/log.h"

namespace mnemo::net {

struct Listener::Acceptor {
  explicit Acceptor(asio::io_context& io) : acceptor(io), retry(io) {}
  asio::basic_socket_acceptor<asio::generic::stream_protocol> acceptor;
  asio::steady_timer retry;  // backs off after an accept error such as EMFILE
  bool unix_socket = false;
  bool loopback = false;  // a TCP address on the loopback interface
  bool tls = false;       // the tls-port's acceptor
  std::string local;
};

Listener::Listener(asio::io_context& io, AcceptFn on_accept)
    : io_(io), on_accept_(std::move(on_accept)) {}

Listener::~Listener() { Close(); }

namespace {

std::string FormatEndpoint(const asio::ip::tcp::endpoint& ep) {
  const asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return fmt::format(
        "{}:{}", asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string(), ep.port());
  }
  return fmt::format("{}:{}", a.to_string(), ep.port());
}

}  // namespace

Status Listener::OpenTcp(const ListenOptions& options, int port, bool tls) {
  for (std::string addr : options.bind) {
    const bool optional = !addr.empty() && addr[0] == '-';
    if (optional) addr.erase(0, 1);
    asio::error_code ec;
    asio::ip::address ip;
    if (addr == "*") {
      ip = asio::ip::address_v4::any();
    } else if (addr == "::*") {
      ip = asio::ip::address_v6::any();
    } else {
      ip = asio::ip::make_address(addr, ec);
      if (ec) return Status::Error(fmt::format("Invalid bind address '{}'", addr));
    }
    const asio::ip::tcp::endpoint ep(ip, static_cast<uint16_t>(port));
    auto a = std::make_unique<Acceptor>(io_);
    asio::generic::stream_protocol::endpoint gep(ep.data(), ep.size());
    a->acceptor.open(gep.protocol(), ec);
    if (!ec) a->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ip.is_v6()) {
      // Like Redis: the IPv6 socket serves IPv6 only; IPv4 has its own.
      const int on = 1;
      ::setsockopt(a->acceptor.native_handle(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    }
    if (!ec) a->acceptor.bind(gep, ec);
    if (!ec) a->acceptor.listen(options.backlog, ec);
    if (ec) {
      if (optional) continue;
      return Status::Error(fmt::format("Failed listening on port {} ({}), aborting: {}", port,
                                       tls ? "tls" : "tcp", ec.message()));
    }
    a->local = FormatEndpoint(ep);
    a->loopback = ip.is_loopback();
    a->tls = tls;
    acceptors_.push_back(std::move(a));
  }
  return Status::Ok();
}

Status Listener::Open(const ListenOptions& options) {
  keepalive_s_ = options.keepalive_s;
  if (options.port > 0) {
    Status s = OpenTcp(options, options.port, false);
    if (!s.ok()) return s;
    port_ = options.port;
  }
  if (options.tls_port > 0) {
    Status s = OpenTcp(options, options.tls_port, true);
    if (!s.ok()) return s;
  }
  if (!options.unix_socket.empty()) {
    ::unlink(options.unix_socket.c_str());
    auto a = std::make_unique<Acceptor>(io_);
    asio::local::stream_protocol::endpoint lep(options.unix_socket);
    asio::generic::stream_protocol::endpoint gep(lep.data(), lep.size());
    asio::error_code ec;
    a->acceptor.open(gep.protocol(), ec);
    if (!ec) a->acceptor.bind(gep, ec);
    if (!ec) a->acceptor.listen(options.backlog, ec);
    if (ec) {
      return Status::Error(fmt::format("Failed opening Unix socket: {}", ec.message()));
    }
    if (options.unix_socket_perm != 0) {
      ::chmod(options.unix_socket.c_str(), static_cast<mode_t>(options.unix_socket_perm));
    }
    a->unix_socket = true;
    a->local = options.unix_socket;
    unix_path_ = options.unix_socket;
    acceptors_.push_back(std::move(a));
  }
  for (auto& a : acceptors_) Accept(a.get());
  return Status::Ok();
}

void Listener::Accept(Acceptor* a) {
  a->acceptor.async_accept([this, a](const asio::error_code& ec, Connection::Socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      std::string peer;
      std::string local = a->local;
      if (a->unix_socket) {
        peer = a->local + ":0";
        local = a->local + ":0";
      } else {
        const int fd = socket.native_handle();
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        if (keepalive_s_ > 0) {
          ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
          const int idle = keepalive_s_;
          const int interval = keepalive_s_ / 3 > 0 ? keepalive_s_ / 3 : 1;
          const int count = 3;
          ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
          ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
          ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
        }
        sockaddr_storage ss{};
        socklen_t len = sizeof(ss);
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
          asio::ip::tcp::endpoint ep;
          std::memcpy(ep.data(), &ss, len);
          peer = FormatEndpoint(ep);
        }
        len = sizeof(ss);
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
          asio::ip::tcp::endpoint ep;
          std::memcpy(ep.data(), &ss, len);
          local = FormatEndpoint(ep);
        }
      }
      on_accept_(std::move(socket), std::move(peer), std::move(local), a->unix_socket, a->tls);
    } else {
      // Out of file descriptors and the like: the pending connection stays in the backlog, so
      // retrying at once would spin. Back off briefly.
      LogWarning("Accepting client connection: {}", ec.message());
      a->retry.expires_after(std::chrono::milliseconds(50));
      a->retry.async_wait([this, a](const asio::error_code& tec) {
        if (!tec) Accept(a);
      });
      return;
    }
    Accept(a);
  });
}

std::string Listener::NonLoopbackAddress() const {
  for (const auto& a : acceptors_) {
    if (!a->unix_socket && !a->loopback) return a->local;
  }
  return "";
}

void Listener::Close() {
  for (auto& a : acceptors_) {
    asio::error_code ec;
    a->acceptor.close(ec);
    a->retry.cancel();
  }
  acceptors_.clear();
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
    unix_path_.clear();
  }
}

}  // namespace mnemo::net
