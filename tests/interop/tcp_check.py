"""A TCP exchange checked end to end, for the tests on real interfaces: `server PORT` accepts one
connection and prints the byte count and SHA-256 of what it received; `client HOST PORT N` sends
N seeded pseudo-random bytes and prints the same of what it sent. Equal lines: nothing lost,
nothing changed on the way."""
import hashlib
import random
import socket
import sys

if sys.argv[1] == "server":
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", int(sys.argv[2])))
    listener.listen(1)
    listener.settimeout(30)
    conn, _ = listener.accept()
    conn.settimeout(30)
    digest = hashlib.sha256()
    count = 0
    while True:
        block = conn.recv(65536)
        if not block:
            break
        digest.update(block)
        count += len(block)
    print(count, digest.hexdigest(), flush=True)
else:
    data = random.Random(7).randbytes(int(sys.argv[4]))
    conn = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=30)
    conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)  # the server's close: everything was read
    print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
