// session.h: what the server keeps per connection (layer: server, private).
#pragma once

#include <memory>
#include <string_view>

#include "mnemo/cmd/client.h"
#include "mnemo/net/connection.h"
#include "mnemo/server/server.h"
#include "repl_state.h"

namespace mnemo::server {

// What the server keeps per connection: the command layer's view of the client, and the link
// through which the command layer reaches the connection from other clients' commands.
struct Server::Session : net::ConnectionState, cmd::ClientLink {
  Session(Server* s, net::Connection* c) : server(s), conn(c) { client.link = this; }

  protocol::ReplyBuilder& Output() override { return conn->reply(); }
  void OutputAdded() override {
    switch (conn->AcceptQueuedOutput()) {
      case net::Connection::QueuedOutput::kAccepted: server->QueueOutput(*conn); break;
      case net::Connection::QueuedOutput::kClose: server->QueueClose(*conn); break;
      case net::Connection::QueuedOutput::kDropped: break;
    }
  }
  void Suspend(bool retry_current) override { conn->Suspend(retry_current); }
  void Resume() override { conn->Resume(); }
  void SetPubSubClass(bool pubsub) override {
    conn->set_output_class(pubsub ? net::OutputClass::kPubSub : net::OutputClass::kNormal);
  }
  void CloseAsap() override { server->QueueClose(*conn); }
  std::string_view PeerAddress() const override { return conn->peer(); }
  bool unix_socket() const override { return conn->unix_socket(); }

  Server* server;
  net::Connection* conn;  // owns this session
  cmd::Client client;
  bool output_queued = false;  // in the server's pending-output list
  bool repl_held = false;      // in ReplState::held (output waits for the stream's flush)
  bool aof_held = false;       // in AofState::held (output waits for the AOF's write or fsync)
  // On a primary: this client is (or is becoming) a replica: what REPLCONF told and where its
  // synchronization stands (server/repl_state.h).
  std::unique_ptr<ReplicaLink> replica;
};

}  // namespace mnemo::server
