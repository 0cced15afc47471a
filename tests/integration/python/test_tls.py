# test_tls.py: redis-py with ssl=True against mnemo-server's tls-port: certificates made at test
# time with the openssl command line, client certificates, protocol versions, big values and
# pipelines over TLS, protected mode for TLS clients, and TLS clients in CLIENT LIST as in
# redis-server 7.0.15 (tests/integration/python).
import os
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import Server, free_port

DENIED_PREFIX = b"-DENIED Mnemo is running in protected mode because protected mode is enabled"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs():
    """A throwaway CA, a server certificate for 127.0.0.1, a client certificate, and a client
    certificate from another CA."""
    with tempfile.TemporaryDirectory(prefix="mnemo-pytls-") as d:
        def issue(name, subject, ca, ext=None):
            base = os.path.join(d, name)
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key",
                    "-out", base + ".csr", "-subj", subject)
            cmd = ["x509", "-req", "-in", base + ".csr", "-CA", os.path.join(d, ca + ".crt"),
                   "-CAkey", os.path.join(d, ca + ".key"), "-CAcreateserial",
                   "-out", base + ".crt", "-days", "2"]
            if ext:
                with open(base + ".ext", "w") as f:
                    f.write(ext + "\n")
                cmd += ["-extfile", base + ".ext"]
            openssl(*cmd)

        for ca in ("ca", "rogue-ca"):
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", os.path.join(d, ca + ".key"),
                    "-out", os.path.join(d, ca + ".crt"), "-days", "2", "-subj", "/CN=" + ca)
        issue("server", "/CN=localhost", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        issue("client", "/CN=client", "ca")
        issue("rogue", "/CN=client", "rogue-ca")
        yield {name: os.path.join(d, name) for name in
               ("ca.crt", "server.crt", "server.key", "client.crt", "client.key", "rogue.crt",
                "rogue.key")}


def tls_server(certs, *args):
    tls_port = free_port()
    s = Server(["--tls-port", str(tls_port), "--tls-cert-file", certs["server.crt"],
                "--tls-key-file", certs["server.key"], "--tls-ca-cert-file", certs["ca.crt"],
                *args])
    s.tls_port = tls_port
    return s


def tls_client(certs, port, cert="client", **kwargs):
    extra = {}
    if cert:
        extra = {"ssl_certfile": certs[cert + ".crt"], "ssl_keyfile": certs[cert + ".key"]}
    return redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=certs["ca.crt"],
                       socket_timeout=30, **extra, **kwargs)


@pytest.fixture
def tls(certs):
    s = tls_server(certs)
    yield s
    assert s.stop() == 0, s.log_text()


def test_redis_py_ssl(certs, tls):
    r = tls_client(certs, tls.tls_port)
    assert r.ping()
    assert r.set("greeting", "hello")
    assert r.get("greeting") == b"hello"
    # A value far bigger than a TLS record and the socket buffers, both ways.
    big = os.urandom(8 * 1024 * 1024)
    assert r.set("big", big)
    assert r.get("big") == big
    # A pipeline of many commands in few writes, and its replies.
    pipe = r.pipeline(transaction=False)
    for i in range(20000):
        pipe.set(f"k:{i}", i)
        pipe.incr(f"k:{i}")
    replies = pipe.execute()
    assert replies[1::2] == list(range(1, 20001))
    assert tls.client().get("greeting") == b"hello"


def test_client_certificate_required(certs, tls):
    with pytest.raises(redis.exceptions.ConnectionError):
        tls_client(certs, tls.tls_port, cert=None).ping()
    with pytest.raises(redis.exceptions.ConnectionError):
        tls_client(certs, tls.tls_port, cert="rogue").ping()
    assert tls_client(certs, tls.tls_port).ping()


def test_server_certificate_is_checked_by_the_client(certs, tls):
    # A client that trusts another CA refuses the server.
    r = redis.Redis(host="127.0.0.1", port=tls.tls_port, ssl=True,
                    ssl_ca_certs=certs["rogue.crt"], ssl_certfile=certs["client.crt"],
                    ssl_keyfile=certs["client.key"], socket_timeout=10)
    with pytest.raises(redis.exceptions.ConnectionError):
        r.ping()


def raw_tls(certs, port, source="127.0.0.1", version=None):
    """A TLS socket from `source` with the client certificate, limited to `version`."""
    ctx = ssl.create_default_context(cafile=certs["ca.crt"])
    ctx.load_cert_chain(certs["client.crt"], certs["client.key"])
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                    source_address=(source, 0))
    return ctx.wrap_socket(sock, server_hostname="127.0.0.1")


def test_protocol_versions(certs):
    s = tls_server(certs, "--tls-protocols", "TLSv1.3")
    try:
        with raw_tls(certs, s.tls_port, version=ssl.TLSVersion.TLSv1_3) as t:
            assert t.version() == "TLSv1.3"
            t.sendall(b"PING\r\n")
            assert t.recv(100) == b"+PONG\r\n"
        with pytest.raises(ssl.SSLError):
            raw_tls(certs, s.tls_port, version=ssl.TLSVersion.TLSv1_2)
        # Both by default.
        s.client().config_set("tls-protocols", "")
        with raw_tls(certs, s.tls_port, version=ssl.TLSVersion.TLSv1_2) as t:
            assert t.version() == "TLSv1.2"
            t.sendall(b"PING\r\n")
            assert t.recv(100) == b"+PONG\r\n"
    finally:
        assert s.stop() == 0


def test_protected_mode_applies_to_tls_clients(certs):
    s = tls_server(certs, "--bind", "*", "-::*")
    try:
        with raw_tls(certs, s.tls_port, source="127.0.0.2") as t:
            t.sendall(b"PING\r\n")
            data = b""
            while True:
                chunk = t.recv(4096)
                if not chunk:
                    break
                data += chunk
            assert data.startswith(DENIED_PREFIX)
            assert data.endswith(b"outside.\r\n")
        with raw_tls(certs, s.tls_port, source="127.0.0.1") as t:
            t.sendall(b"PING\r\n")
            assert t.recv(100) == b"+PONG\r\n"
        assert s.client().info("stats")["rejected_connections"] == 1
    finally:
        assert s.stop() == 0


def client_fields(line):
    return [kv.split("=", 1)[0] for kv in line.split(" ")]


def test_tls_clients_in_client_list_as_redis(certs):
    """In redis-server 7.0.15 a TLS client's CLIENT LIST line has the same fields as a plain
    client's, with laddr on the tls-port; the same holds here."""
    redis_port, redis_tls_port = free_port(), free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--tls-port", str(redis_tls_port), "--tls-cert-file", certs["server.crt"],
         "--tls-key-file", certs["server.key"], "--tls-ca-cert-file", certs["ca.crt"]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = tls_server(certs)
    try:
        for port, tls_port in ((redis_port, redis_tls_port), (s.port, s.tls_port)):
            for _ in range(200):
                try:
                    plain = redis.Redis(host="127.0.0.1", port=port)
                    plain.ping()
                    break
                except redis.exceptions.ConnectionError:
                    time.sleep(0.02)
            secure = tls_client(certs, tls_port)
            tls_line = secure.execute_command("CLIENT", "INFO").decode()
            plain_line = plain.execute_command("CLIENT", "INFO").decode()
            assert f" laddr=127.0.0.1:{tls_port} " in tls_line
            assert client_fields(tls_line) == client_fields(plain_line)
            # Both clients are listed, and INFO counts both.
            assert len(plain.client_list()) == 2
            assert plain.info("clients")["connected_clients"] == 2
            secure.connection_pool.disconnect()
            plain.connection_pool.disconnect()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert s.stop() == 0


def test_tls_memory_is_client_memory(certs, tls):
    """OpenSSL's state of TLS clients is counted: used_memory and mem_clients_normal grow with
    them and shrink when they leave."""
    plain = tls.client()
    before = plain.info("memory")["mem_clients_normal"]
    clients = [tls_client(certs, tls.tls_port) for _ in range(20)]
    for c in clients:
        assert c.ping()
    during = plain.info("memory")["mem_clients_normal"]
    # Each costs at least its 16 KB read buffer and OpenSSL's session and record buffers.
    assert during - before > 20 * 20 * 1024
    for c in clients:
        c.connection_pool.disconnect()  # redis-py 4.3's close() keeps the pool's connections
    for _ in range(100):
        if plain.info("clients")["connected_clients"] == 1:
            break
        time.sleep(0.02)
    after = plain.info("memory")["mem_clients_normal"]
    assert after - before < (during - before) / 4
