"""A small Snodo client in Python: what an integrator's own system needs to
join the network (docs/protocol.md).

It uses only Debian's python3-zmq and python3-protobuf, and the protoc of
protobuf-compiler to make the message classes from the project's proto/
files. What it does, as the protocol asks:

- CURVE on every socket: the member's own certificate (its secret never
  leaves its host), the registry's public key from the connection file;
- one frame a request, one a reply, each a protobuf envelope
  (snodo.Request / snodo.Reply) whose body is the method's message;
- a request_id of 16 random bytes kept across retries, so a write retried
  after a lost reply is applied once and answered with the first reply;
- a fresh socket after each unanswered attempt (ZeroMQ's "lazy pirate"),
  because a DEALER would otherwise deliver the late reply of the last try;
- a refused handshake (unknown or revoked key) read from a socket monitor
  and raised at once as UNAUTHENTICATED, not left to the deadline;
- the other services found in registry.Directory;
- a member's events followed with journal.Follow from a cursor the client
  keeps: no loss and no repeat across a disconnect of either side.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

CONNECTION_FORMAT = "snodo-connection/1"


def load_protos(proto_dir):
    """Compiles proto_dir/*.proto with protoc into a temporary folder and
    imports the modules: returns {"envelope": module, "registry": ...}."""
    out = tempfile.mkdtemp(prefix="snodo-py-")
    files = sorted(glob.glob(os.path.join(proto_dir, "*.proto")))
    if not files:
        raise SystemExit(f"no .proto files in {proto_dir}")
    subprocess.run(["protoc", f"-I{proto_dir}", f"--python_out={out}"] + files, check=True)
    sys.path.insert(0, out)
    modules = {}
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0]
        modules[name] = __import__(f"{name}_pb2")
    return modules


class SnodoError(Exception):
    """A call that did not end OK: code (the envelope's Code name), message,
    and the violations (field, description) of a refused input."""

    def __init__(self, code, message, violations=()):
        self.code, self.message, self.violations = code, message, list(violations)
        detail = "".join(f"; {f}: {d}" for f, d in self.violations)
        super().__init__(f"{code}: {message}{detail}")


class Connection:
    """The member's side of the network: its certificate, the registry from
    the connection file, the other services from the directory."""

    def __init__(self, connection_file, protos, cert=None):
        with open(connection_file, encoding="utf-8") as f:
            conn = json.load(f)
        if conn.get("format") != CONNECTION_FORMAT:
            raise SystemExit(f"{connection_file}: not a {CONNECTION_FORMAT} connection file")
        self.member = conn["member"]
        self.pb = protos
        folder = os.path.dirname(os.path.abspath(connection_file))
        cert = cert or os.path.join(folder, self.member + ".cert")
        # CZMQ keeps the secret beside the public certificate, in *_secret
        self.public, self.secret = zmq.auth.load_certificate(cert + "_secret")
        if not self.secret:
            raise SystemExit(f"{cert}_secret holds no secret key")
        registry = conn["registry"]
        self.peers = {"registry": (registry["request"], registry["events"], registry["public_key"])}
        self.ctx = zmq.Context.instance()

    def refresh_directory(self):
        """Learns every service's endpoints and key from registry.Directory.
        Call it again when a call says UNAVAILABLE: a service may have moved."""
        reg = self.pb["registry"]
        members = self.call("registry", "registry.Directory", reg.DirectoryRequest(), reg.ListMembersReply)
        found = {}
        for m in members.members:
            if m.revoked:
                continue                # a revoked service answers no one
            for e in m.endpoints:
                found.setdefault(e.service, (e.request, e.events, m.public_key))
        self.peers.update(found)
        return members

    def client(self, service, **kw):
        if service not in self.peers:
            self.refresh_directory()
        if service not in self.peers:
            raise SnodoError("NOT_FOUND", f"the directory lists no service {service}")
        return Client(self, service, **kw)

    def call(self, service, method, request, reply_type, **kw):
        """One call on a client of its own, closed after it."""
        client = self.client(service, **kw)
        try:
            return client.call(method, request, reply_type)
        finally:
            client.close()


class Client:
    """Requests to one service, with retries and a deadline."""

    def __init__(self, conn, service, deadline_ms=10000, attempts=3, purpose="care"):
        self.conn, self.service = conn, service
        self.deadline_ms, self.attempts, self.purpose = deadline_ms, attempts, purpose
        self.socket = self.monitor = None
        self.last_reply = None          # the envelope of the last reply (after_seq, event_ids)

    def _connect(self):
        request, _events, key = self.conn.peers[self.service]
        s = self.conn.ctx.socket(zmq.DEALER)
        s.curve_secretkey = self.conn.secret
        s.curve_publickey = self.conn.public
        s.curve_serverkey = key.encode()
        s.linger = 0
        self.monitor = s.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH
                                            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
        s.connect(request)
        self.socket = s

    def _moved(self):
        """Asks the directory again; true when this service moved."""
        before = self.conn.peers.get(self.service)
        try:
            self.conn.refresh_directory()
        except SnodoError:
            return False
        return self.conn.peers.get(self.service) != before

    def _disconnect(self):
        if self.socket:
            self.socket.disable_monitor()
            self.monitor.close(0)
            self.socket.close(0)
        self.socket = self.monitor = None

    def close(self):
        self._disconnect()

    def call(self, method, request, reply_type, request_id=None, attempt_ms=None):
        """Sends method(request), waits for the reply, parses its body as
        reply_type. Retries with the same request_id on silence, each
        attempt waiting attempt_ms (the deadline shared out by default).
        Raises SnodoError unless the reply is OK."""
        env = self.conn.pb["envelope"]
        request_id = request_id or uuid.uuid4().bytes
        attempt_ms = attempt_ms or self.deadline_ms // self.attempts
        frame = env.Request(request_id=request_id, method=method, purpose=self.purpose,
                            deadline_ms=attempt_ms,
                            body=request.SerializeToString()).SerializeToString()
        reply = None
        for attempt in range(self.attempts):
            if not self.socket:
                self._connect()
            self.socket.send(frame)
            reply = self._wait(request_id, attempt_ms)
            if reply is not None:
                break
            self._disconnect()          # a fresh socket drops the old one's queue
            if attempt == 0 and self.service != "registry" and self._moved():
                continue                # the directory says it is elsewhere now: try there
        if reply is None:
            raise SnodoError("DEADLINE_EXCEEDED", f"no reply from {self.service} in {self.attempts} attempts")
        self.last_reply = reply
        if reply.status.code != env.OK:
            raise SnodoError(env.Code.Name(reply.status.code), reply.status.message,
                             [(v.field, v.description) for v in reply.status.violations])
        out = reply_type()
        out.ParseFromString(reply.body)
        return out

    def _wait(self, request_id, timeout_ms):
        env = self.conn.pb["envelope"]
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        poller.register(self.monitor, zmq.POLLIN)
        end = time.monotonic() + timeout_ms / 1000
        while (left := end - time.monotonic()) > 0:
            ready = dict(poller.poll(left * 1000))
            if self.monitor in ready:
                event = recv_monitor_message(self.monitor)
                self._disconnect()
                raise SnodoError("UNAUTHENTICATED", f"{self.service} refused this member's key "
                                 f"(handshake failed, ZeroMQ event {event['event']}): "
                                 "unknown or revoked")
            if self.socket in ready:
                reply = env.Reply()
                reply.ParseFromString(self.socket.recv())
                if reply.request_id in (request_id, b""):
                    return reply        # a late reply to an earlier call is dropped
        return None


class Follower:
    """A member's events from one service, from a cursor kept in a file:
    journal.Follow waits in the service for the next event (no polling
    loop), and the cursor is saved only after the events were handled."""

    def __init__(self, client, cursor_file, wait_ms=5000, max_events=100):
        self.client, self.cursor_file = client, cursor_file
        self.wait_ms, self.max_events = wait_ms, max_events
        self.after = int(open(cursor_file).read()) if os.path.exists(cursor_file) else 0

    def next_page(self):
        env = self.client.conn.pb["envelope"]
        reply = self.client.call("journal.Follow",
                                 env.FollowRequest(after_seq=self.after, max=self.max_events,
                                                   wait_ms=self.wait_ms),
                                 env.FollowReply, attempt_ms=self.wait_ms + 5000)
        return reply

    def save(self, next_after):
        tmp = self.cursor_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(next_after))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.cursor_file)
        self.after = next_after
