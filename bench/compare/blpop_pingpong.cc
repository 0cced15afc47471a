// blpop_pingpong.cc: BLPOP/RPUSH ping-pong round trips per second, driven from C++ so that the
// client costs little next to the server (bench/compare; pubsub.py runs it against both
// servers).
//
// Each pair i has two connections. A sends "RPUSH ping:i x" and "BLPOP pong:i 0" (pipelined)
// and waits for both replies; B waits in "BLPOP ping:i 0", and when served sends
// "RPUSH pong:i x" and "BLPOP ping:i 0" (pipelined). One round trip is: A's push wakes B, B's
// push wakes A. Every pair runs the same loop; one thread drives every connection with epoll on
// non-blocking sockets and parses replies with hiredis's reader (each reply is checked: the
// BLPOP answers must name the key and carry "x").
//
// Usage: blpop_pingpong <port> [--pairs 1] [--seconds 3] [--warmup 0.5]
// Prints: "pairs P round_trips N seconds S rate R" (R: round trips per second, all pairs).
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string Encode(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "blpop_pingpong: %s\n", what.c_str());
  std::exit(1);
}

struct Conn {
  int fd = -1;
  redisReader* reader = nullptr;
  int pair = 0;
  bool is_a = false;
  int awaiting = 0;  // replies still expected for the current step
};

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    Die("connect");
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                         errno == ENOTCONN)) {
      // A few dozen bytes into an empty socket buffer: only a connect in progress waits here.
      usleep(100);
    } else {
      Die(std::string("send: ") + std::strerror(errno));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: blpop_pingpong <port> [--pairs N] [--seconds S] [--warmup S]");
  const int port = std::atoi(argv[1]);
  int pairs = 1;
  double seconds = 3, warmup = 0.5;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--pairs") {
      pairs = std::atoi(argv[i + 1]);
    } else if (opt == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (opt == "--warmup") {
      warmup = std::atof(argv[i + 1]);
    } else {
      Die("unknown option " + opt);
    }
  }
  if (pairs < 1) Die("--pairs must be at least 1");

  std::vector<std::string> a_step(pairs), b_step(pairs), b_first(pairs), ping_reply(pairs),
      pong_reply(pairs);
  for (int i = 0; i < pairs; ++i) {
    const std::string ping = "ping:" + std::to_string(i), pong = "pong:" + std::to_string(i);
    a_step[i] = Encode({"RPUSH", ping, "x"}) + Encode({"BLPOP", pong, "0"});
    b_first[i] = Encode({"BLPOP", ping, "0"});
    b_step[i] = Encode({"RPUSH", pong, "x"}) + Encode({"BLPOP", ping, "0"});
    ping_reply[i] = ping;
    pong_reply[i] = pong;
  }

  const int ep = epoll_create1(0);
  std::vector<Conn> conns(2 * pairs);
  for (int i = 0; i < 2 * pairs; ++i) {
    Conn& c = conns[i];
    c.fd = Connect(port);
    c.reader = redisReaderCreate();
    c.pair = i / 2;
    c.is_a = i % 2 == 0;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) Die("epoll_ctl");
  }
  // B sides block first; A sides start once every B is waiting (their first push may also find
  // B not yet blocked: the element then waits in the list and BLPOP takes it at once).
  for (int i = 0; i < pairs; ++i) {
    SendAll(conns[2 * i + 1].fd, b_first[i]);
    conns[2 * i + 1].awaiting = 1;
  }
  for (int i = 0; i < pairs; ++i) {
    SendAll(conns[2 * i].fd, a_step[i]);
    conns[2 * i].awaiting = 2;
  }

  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::duration<double>(warmup);
  const auto end = measure_from + std::chrono::duration<double>(seconds);
  bool measuring = false;
  Clock::time_point measured_start;
  long long round_trips = 0;
  bool stopping = false;
  int idle_a = 0;  // A sides that stopped after the end
  std::vector<epoll_event> events(64);
  char buf[16384];
  while (idle_a < pairs) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno != EINTR) Die("epoll_wait");
    if (n == 0) Die("no reply for 1 s");
    const auto now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      measured_start = now;
      round_trips = 0;
    }
    if (!stopping && now >= end) stopping = true;
    for (int e = 0; e < n; ++e) {
      Conn& c = conns[events[e].data.u32];
      const ssize_t got = recv(c.fd, buf, sizeof(buf), 0);
      if (got == 0) Die("server closed a connection");
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        Die(std::string("recv: ") + std::strerror(errno));
      }
      redisReaderFeed(c.reader, buf, static_cast<size_t>(got));
      void* reply = nullptr;
      while (redisReaderGetReply(c.reader, &reply) == REDIS_OK && reply != nullptr) {
        auto* r = static_cast<redisReply*>(reply);
        if (r->type == REDIS_REPLY_ARRAY) {
          // A BLPOP answer: [key, "x"].
          const std::string& want = c.is_a ? pong_reply[c.pair] : ping_reply[c.pair];
          if (r->elements != 2 || r->element[0]->len != want.size() ||
              std::memcmp(r->element[0]->str, want.data(), want.size()) != 0 ||
              r->element[1]->len != 1 || r->element[1]->str[0] != 'x') {
            Die("unexpected BLPOP reply");
          }
        } else if (r->type != REDIS_REPLY_INTEGER) {
          Die(std::string("unexpected reply: ") +
              (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "type"));
        }
        freeReplyObject(reply);
        if (--c.awaiting > 0) continue;
        if (c.is_a) {
          ++round_trips;
          if (stopping) {
            ++idle_a;
          } else {
            SendAll(c.fd, a_step[c.pair]);
            c.awaiting = 2;
          }
        } else {
          // B: served; push the answer and wait again (it stays blocked at the end).
          SendAll(c.fd, b_step[c.pair]);
          c.awaiting = 2;
        }
      }
    }
  }
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - measured_start).count();
  std::printf("pairs %d round_trips %lld seconds %.3f rate %.0f\n", pairs, round_trips, elapsed,
              round_trips / elapsed);
  for (auto& c : conns) {
    close(c.fd);
    redisReaderFree(c.reader);
  }
  close(ep);
  return 0;
}
