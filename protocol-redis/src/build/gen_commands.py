#!/usr/bin/env python3
"""Generates src/main/resources/io/metacluster/redis/commands.tsv, the Redis command table.

It starts a throwaway redis-server (7.0; the table is checked in and CommandTableTest fails when
the server it runs against disagrees), reads COMMAND (every command and subcommand with arity,
flags, tips and key specs) and adds, per command, how Metacluster treats it (kind) and how a
later read verification may compare replies (verify). The judgement calls are all in OVERRIDES
below, with the reason; everything else follows from the command's own flags.

Usage: python3 src/build/gen_commands.py [path/to/redis-server]   (run from protocol-redis/)

Columns (tab-separated, one row per command or subcommand, subcommands as "parent|sub"):
  name     lower case, as COMMAND names it
  arity    Redis arity: N exact, -N at least N (the name counts)
  kind     READ | WRITE | CONDITIONAL_WRITE | PINNED | ASIDE | ADMIN | UNSUPPORTED
  flags    command flags, comma-separated
  keys     key specs, ' ; '-separated, each "FLAGS begin find":
             begin: index:POS | keyword:WORD,STARTFROM | unknown
             find:  range:LASTKEY,STEP,LIMIT | keynum:KEYNUMIDX,FIRSTKEY,STEP | unknown
           '-' when keyless
  verify   exact (byte-equal replies) | unordered (same elements, any order) | never
           (nondeterministic output, or not a read) -- for the verification strategy
  tips     Redis command tips (nondeterministic_output, request_policy:..., ...), comma-separated
  note     why the kind is not the default one; for UNSUPPORTED, the error text clients get
"""
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "main", "resources", "io", "metacluster", "redis", "commands.tsv")

NOT_YET = "{} is not supported by metacluster yet"

# name -> (kind, note). A note for UNSUPPORTED is the exact error text ({} = upper-case name).
OVERRIDES = {}


def override(kind, note, *names):
    for name in names:
        OVERRIDES[name] = (kind, note)


# Answered by the proxy: connection state that must not reach shared backend connections.
override("ADMIN", "answered by the proxy (connection state)",
         "ping", "echo", "quit", "hello", "select", "reset", "auth",
         "client|setname", "client|getname", "client|id", "client|info")
# The proxy is the server its clients talk to: CLIENT LIST/KILL/NO-EVICT are about its own client
# connections (ClientCommands.java), not the backends' shared ones.
override("ADMIN", "answered by the proxy about its own client connections", "client|list", "client|kill",
         "client|no-evict", "client|pause", "client|unpause")
# The proxy writes every reply its clients get, so CLIENT REPLY ON/OFF/SKIP holds them back there.
override("ADMIN", "answered by the proxy: it holds back the replies it writes", "client|reply")
# MONITOR streams what this proxy's clients send (MonitorMode.java): the proxy is the server they talk to,
# and the backends' own monitors would show the shared connections' traffic of every listener.
override("ADMIN", "answered by the proxy: streams the commands its clients send", "monitor")
# Transactions: the codec queues MULTI ... EXEC and forwards it as one block (TransactionState.java),
# since a MULTI alone on a shared node connection would capture other clients' commands.
override("ADMIN", "transaction: handled by the proxy, forwarded as one block at EXEC",
         "multi", "exec", "discard", "unwatch")
# WATCH needs a backend connection of the client's own, which multiplexed node connections are not: the
# client is pinned to its read cluster until EXEC, DISCARD or UNWATCH (WatchedTransaction.java).
override("PINNED", "transaction: pins the client to its read cluster until EXEC, DISCARD or UNWATCH", "watch")
# Blocking commands would stall every client sharing the backend connection: each runs on a connection of
# the client's own to the read cluster, and what it did goes to the others as its effect (Effects.java).
override("PINNED", "blocking: runs on a connection of the client's own to the read cluster; its effect then goes"
         " to the others", "blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop")
override("PINNED", "blocking: answered by the read cluster, on a connection of the client's own", "wait")
# XREAD/XREADGROUP block only with BLOCK: the codec pins them (block-option in proxy-rules.tsv) and routes the
# rest; an XREADGROUP of new entries is decided by the read cluster, BLOCK or not (GroupReads.java).
override("READ", "pinned to the read cluster when called with BLOCK", "xread")
override("WRITE", "creates consumer-group state; a read of a consumer's history (an ID other than >) goes to every"
         " cluster", "xreadgroup")
# Pub/sub: a subscribed client gets a backend connection of its own (kind PINNED), to one
# cluster; PUBLISH goes to every cluster like a write, so each subscriber hears a message once.
override("PINNED", "pub/sub: the client gets a backend connection of its own, to one cluster",
         "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe")
# Published first on the cluster this proxy's subscribers are on (the read cluster), whose
# receiver count the client gets, then on the others (ConditionalWrites.propagation, PubSubPolicy), as a cas is.
override("CONDITIONAL_WRITE", "pub/sub: published on the read cluster (its receiver count is the reply), then on the others",
         "publish", "spublish")
override("READ", "pub/sub: the subscriptions of one cluster",
         "pubsub|channels", "pubsub|numpat", "pubsub|numsub", "pubsub|shardchannels", "pubsub|shardnumsub")
override("UNSUPPORTED", NOT_YET + " (replication and server control belong to the backends)",
         "sync", "psync", "replconf", "replicaof", "slaveof", "failover", "shutdown",
         "debug", "pfdebug", "migrate", "script|debug",
         "module|load", "module|loadex", "module|unload")
# Server control that an operator may want on every cluster: the listener's protocol-options
# server-commands decides (refuse, all-clusters, read-cluster; the server column of proxy-rules.tsv
# marks them, CommandClassifier applies it). Routed as a write (every node of every cluster) when allowed.
override("WRITE", "server command: as protocol-options server-commands says (refused by default)",
         "save", "bgsave", "bgrewriteaof", "config|set", "config|rewrite", "config|resetstat",
         "slowlog|reset", "latency|reset", "memory|purge", "acl|setuser", "acl|deluser", "acl|load", "acl|save")
# A busy script runs on every cluster and the shared connections wait behind it: the kill goes to every node
# on a connection of its own (CommandKind.ASIDE, AsideRequest in the engine).
override("ASIDE", "sent to every node of every cluster on a connection of its own: the shared ones wait behind the"
         " busy script", "script|kill", "function|kill")
# CLIENT UNBLOCK of a proxy client: to the node of that client's own (pinned) connection, naming it by the
# server-side id it learned with CLIENT ID (UnblockCommand.java, PeerAside in the engine).
override("ASIDE", "sent to the node of the blocked client's own backend connection, on a connection of its own",
         "client|unblock")
# ACL LOG reads one cluster's log; ACL LOG RESET is a server command as above.
override("READ", "informational: one cluster answers; with RESET as protocol-options server-commands says",
         "acl|log")
override("READ", "informational: one cluster answers", "module|list")
override("UNSUPPORTED", NOT_YET + " (a proxy is not a Redis Cluster node)",
         "readonly", "readwrite", "asking")
for sub in ("addslots", "addslotsrange", "bumpepoch", "count-failure-reports", "countkeysinslot",
            "delslots", "delslotsrange", "failover", "flushslots", "forget", "getkeysinslot", "info",
            "keyslot", "links", "meet", "myid", "nodes", "replicas", "replicate", "reset",
            "saveconfig", "set-config-epoch", "setslot", "shards", "slaves", "slots"):
    override("UNSUPPORTED", NOT_YET + " (a proxy is not a Redis Cluster node)", "cluster|" + sub)
# Client-side caching: CLIENT TRACKING ON pins the client to a connection of its own to the read cluster,
# with tracking on; its reads and writes of keys go there, and the server's invalidations come back as
# pushes (ClientTracking.java). Without tracking, the others are answered by the read cluster.
override("PINNED", "client-side caching: ON pins the client to a tracking connection of its own to the read"
         " cluster until OFF or RESET", "client|tracking")
override("READ", "client-side caching: the client's tracking connection answers, else the read cluster",
         "client|caching", "client|trackinginfo", "client|getredir")
# Keyless writes go to every cluster like any write.
override("WRITE", "changes every cluster's data", "flushall", "flushdb", "swapdb")
# Scripts and functions may write: every cluster runs them. The _RO forms are reads.
override("WRITE", "may write: runs on every cluster",
         "eval", "evalsha", "fcall", "script|load", "script|flush",
         "function|load", "function|delete", "function|flush", "function|restore")
override("READ", "read-only script", "eval_ro", "evalsha_ro", "fcall_ro", "script|exists")

# Rows Redis 7.0 does not have but clients send (Jedis 5 sends CLIENT SETINFO on connect).
EXTRA = [
    # name, arity, kind, flags, keys, verify, tips, note
    ("client|setinfo", -4, "ADMIN", "noscript,loading,stale", "-", "never", "",
     "metacluster: Redis 7.2 command answered by the proxy so newer clients connect quietly"),
]


def default_kind(name, flags):
    if "write" in flags:
        return "WRITE", ""
    if "blocking" in flags:
        return "UNSUPPORTED", NOT_YET + " (blocking command)"
    if "pubsub" in flags:
        return "UNSUPPORTED", NOT_YET + " (pub/sub)"
    if "readonly" in flags:
        return "READ", ""
    # Neither read nor write: informational commands (INFO, TIME, COMMAND, CONFIG GET, LATENCY,
    # SLOWLOG GET, LOLWUT, ACL WHOAMI, ...) are answered by one cluster like a read.
    return "READ", "informational: one cluster answers"


def verify(kind, tips):
    if kind != "READ":
        return "never"
    if "nondeterministic_output" in tips:
        return "never"
    if "nondeterministic_output_order" in tips:
        return "unordered"
    return "exact"


# ---- a minimal RESP client --------------------------------------------------------------

class Resp:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _more(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise EOFError
        self.buf += data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._more()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected reply type %r" % t)


def pairs(flat):
    return dict(zip(flat[0::2], flat[1::2]))


def key_spec(spec):
    s = pairs(spec)
    flags = ",".join(s["flags"])
    bs = pairs(s["begin_search"])
    bspec = pairs(bs["spec"]) if bs["spec"] else {}
    if bs["type"] == "index":
        begin = "index:%d" % bspec["index"]
    elif bs["type"] == "keyword":
        begin = "keyword:%s,%d" % (bspec["keyword"], bspec["startfrom"])
    else:
        begin = "unknown"
    fk = pairs(s["find_keys"])
    fspec = pairs(fk["spec"]) if fk["spec"] else {}
    if fk["type"] == "range":
        find = "range:%d,%d,%d" % (fspec["lastkey"], fspec["keystep"], fspec["limit"])
    elif fk["type"] == "keynum":
        find = "keynum:%d,%d,%d" % (fspec["keynumidx"], fspec["firstkey"], fspec["keystep"])
    else:
        find = "unknown"
    return "%s %s %s" % (flags, begin, find)


def rows(info, out):
    name, arity, flags, _first, _last, _step, _acl, tips, specs, subs = info[:10]
    tips = list(tips or [])
    kind, note = OVERRIDES.get(name, (None, None)) if name in OVERRIDES else default_kind(name, flags)
    if kind is None:
        kind, note = default_kind(name, flags)
    keys = " ; ".join(key_spec(s) for s in specs) if specs else "-"
    if subs:
        # a container (CONFIG, CLIENT, ...): the row keeps its arity so "CONFIG" alone gets
        # Redis's arity error; the subcommands carry the real classification
        kind, note = "READ", "container: see its subcommands"
    out.append((name, arity, kind, ",".join(flags), keys, verify(kind, tips), ",".join(tips), note or ""))
    for sub in subs or []:
        rows(sub, out)


@contextlib.contextmanager
def scratch_server(server):
    """A throwaway redis-server on a free loopback port, without persistence; yields a client of it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    client = Resp(port)
                    break
                except OSError:
                    time.sleep(0.05)
            yield client
        finally:
            proc.kill()


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else "redis-server"
    with scratch_server(server) as client:
        version = pairs_info(client.call("INFO", "server"))
        out = []
        for info in client.call("COMMAND"):
            rows(info, out)
    unused = set(OVERRIDES) - {r[0] for r in out}
    if unused:
        sys.exit("overrides name commands this server does not have: %s" % sorted(unused))
    out.extend(EXTRA)
    out.sort(key=lambda r: r[0])
    with open(OUT, "w") as f:
        f.write("# Redis %s command table for Metacluster. Generated by src/build/gen_commands.py; "
                "edit the script, not this file.\n" % version)
        f.write("# name\tarity\tkind\tflags\tkeys\tverify\ttips\tnote\n")
        for r in out:
            f.write("\t".join(str(c) for c in r) + "\n")
    kinds = {}
    for r in out:
        kinds[r[2]] = kinds.get(r[2], 0) + 1
    print("%d rows (%d top-level) written to %s; kinds: %s" % (
        len(out), sum(1 for r in out if "|" not in r[0]), os.path.normpath(OUT), kinds))


def pairs_info(text):
    for line in text.splitlines():
        if line.startswith("redis_version:"):
            return line.split(":", 1)[1]
    return "?"


if __name__ == "__main__":
    main()
