// cluster.cc: the server's side of cluster mode: the nodes file, the node's id and address
// (layer: server). The commands are cmd/cluster_cmds.cc; cmd/cluster.h says what the mode is.
//
// The nodes file (cluster-config-file, in dir) holds the node's line as CLUSTER NODES prints
// it and Redis's vars line. The id is made once (160 random bits, hex) and read back at every
// start, so clients and tools see the same node across restarts. The file is locked (flock)
// while the server runs, so that two servers never share one identity, as Redis does.
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mnemo/base/log.h"
#include "mnemo/base/strings.h"
#include "mnemo/server/server.h"
#include "repl_state.h"

namespace mnemo::server {

namespace {

constexpr size_t kNodeIdLen = 40;

bool IsNodeId(std::string_view s) {
  if (s.size() != kNodeIdLen) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string NewNodeId() {
  unsigned char bytes[kNodeIdLen / 2];
  randombytes_buf(bytes, sizeof(bytes));
  std::string id;
  id.reserve(kNodeIdLen);
  for (const unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

// The id on the line flagged "myself" of a nodes file; "" if there is none.
std::string MyselfId(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    const auto words = SplitArgs(line);
    if (words && words->size() >= 3 && (*words)[2].find("myself") != std::string::npos &&
        IsNodeId((*words)[0])) {
      return (*words)[0];
    }
  }
  return {};
}

}  // namespace

Status Server::ClusterInit() {
  if (!config_.cluster_enabled) return Status::Ok();
  if (config_.cluster_port == 0 && config_.port > 65535 - 10000) {
    return Status::Error(
        "Redis port number too high. Cluster communication port is 10,000 port numbers higher "
        "than your Redis port. Your Redis port number must be 55535 or less.");
  }
  const std::string& path = config_.cluster_config_file;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::Error(fmt::format("Can't open {} in order to acquire a lock: {}", path,
                                     std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Error(fmt::format(
          "Sorry, the cluster configuration file {} is already used by a different Redis "
          "Cluster node. Please make sure that different nodes use different cluster "
          "configuration files.",
          path));
    }
    return Status::Error(fmt::format("Impossible to lock {}: {}", path, std::strerror(err)));
  }
  cluster_config_fd_ = fd;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1u << 20)) break;  // a node's file is one line; do not read a stray file
  }
  cmd::ClusterNode& node = dispatcher_.cluster();
  node.enabled = true;
  node.repl_offset = [this] { return repl_->offset; };
  node.id = MyselfId(text);
  if (node.id.empty()) {
    const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    if (!blank) {
      return Status::Error(fmt::format(
          "Unrecoverable error: corrupted cluster config file \"{}\": no line for this node",
          path));
    }
    node.id = NewNodeId();
    LogNotice("No cluster configuration found, I'm {}", node.id);
  } else {
    LogNotice("Node configuration loaded, I'm {}", node.id);
  }
  RefreshClusterNode();
  for (int i = 0; i < keyspace_.num_dbs(); ++i) keyspace_.db(i).CountSlots();
  return SaveClusterConfig();
}

void Server::RefreshClusterNode() {
  cmd::ClusterNode& node = dispatcher_.cluster();
  if (!node.enabled) return;
  node.ip = config_.cluster_announce_ip;
  node.port = static_cast<int>(config_.cluster_announce_port != 0 ? config_.cluster_announce_port
                                                                  : config_.port);
  const int64_t bus = config_.cluster_port != 0 ? config_.cluster_port : config_.port + 10000;
  node.bus_port = static_cast<int>(
      config_.cluster_announce_bus_port != 0 ? config_.cluster_announce_bus_port : bus);
}

Status Server::SaveClusterConfig() {
  if (cluster_config_fd_ < 0) return Status::Error("cluster mode is off");
  const std::string text = dispatcher_.cluster().ConfigText();
  // In place, through the locked descriptor: the lock stays with the file.
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::pwrite(cluster_config_fd_, text.data() + off, text.size() - off,
                               static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Error(std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  if (::ftruncate(cluster_config_fd_, static_cast<off_t>(text.size())) != 0 ||
      ::fsync(cluster_config_fd_) != 0) {
    return Status::Error(std::strerror(errno));
  }
  return Status::Ok();
}

Status Server::VerifyClusterData() {
  if (!config_.cluster_enabled) return Status::Ok();
  for (int i = 1; i < keyspace_.num_dbs(); ++i) {
    if (keyspace_.db(i).size() > 0) {
      return Status::Error(
          "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.");
    }
  }
  return Status::Ok();
}

}  // namespace mnemo::server
