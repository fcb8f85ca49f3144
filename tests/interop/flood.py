#!/usr/bin/env python3
"""Load for the soak test (tests/integration/soak_test.sh), sent from inside a namespace:

  flood.py icmp-ids DST COUNT RATE [FIRST]
                                          COUNT echo requests, each a new identifier (a new
                                          session) from FIRST (default 0) on, RATE a second
  flood.py udp-flows DST RATE SECONDS     new UDP flows (a new source port each) RATE a second
  flood.py udp-burst DST COUNT SIZE       COUNT datagrams of SIZE bytes to DST:9, as fast as the
                                          kernel takes them
  flood.py ike-bad-ke SRC DST RATE SECONDS
                                          IKEv2 IKE_SA_INIT requests from SRC (spoofed: raw IP)
                                          to DST:500 offering the seed's proposal with a MODP-2048
                                          KE value outside the group (p - 2), a new SPI each; and
                                          one datagram in four malformed (a random body)

Prints what it sent. Needs root (raw sockets)."""
import os
import socket
import struct
import sys
import time

# RFC 3526's 2048-bit MODP prime (group 14).
MODP2048 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def paced(rate, count=None, seconds=None):
    """Yields 0, 1, 2... at rate a second, for count items or for seconds."""
    start = time.monotonic()
    i = 0
    while (count is None or i < count) and (seconds is None or time.monotonic() - start < seconds):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        yield i
        i += 1


def icmp_ids(dst, count, rate, first):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sent = 0
    for i in paced(rate, count=count):
        body = struct.pack("!BBHHH", 8, 0, 0, (first + i) & 0xFFFF, 1) + b"vfw soak"
        s.sendto(body[:2] + struct.pack("!H", checksum(body)) + body[4:], (dst, 0))
        sent += 1
    print(f"{sent} echo requests, {sent} identifiers")


def udp_flows(dst, rate, seconds):
    sent = 0
    for i in paced(rate, seconds=seconds):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"vfw soak flow", (dst, 20000 + i % 40000))
        s.close()  # a new source port for the next
        sent += 1
    print(f"{sent} UDP flows")


def udp_burst(dst, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    body = b"v" * size
    sent = 0
    for _ in range(count):
        try:
            s.sendto(body, (dst, 9))
            sent += 1
        except OSError:  # the local queue is full: the burst goes on
            pass
    print(f"{sent} datagrams")


def ike_sa_init(spi):
    def transform(last, kind, ident, attrs=b""):
        return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), kind, 0, ident) + attrs
    transforms = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 256)) +  # ENCR AES-CBC 256
                  transform(False, 2, 5) +     # PRF HMAC-SHA2-256
                  transform(False, 3, 12) +    # INTEG HMAC-SHA2-256-128
                  transform(True, 4, 14))      # DH MODP-2048
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 4) + transforms
    sa = struct.pack("!BBH", 34, 0, 4 + len(proposal)) + proposal
    value = (MODP2048 - 2).to_bytes(256, "big")
    ke = struct.pack("!BBHHH", 40, 0, 8 + len(value), 14, 0) + value
    nonce = struct.pack("!BBH", 0, 0, 4 + 32) + os.urandom(32)
    body = sa + ke + nonce
    header = struct.pack("!QQBBBBII", spi, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body))
    return header + body


def ike_bad_ke(src, dst, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # IP_HDRINCL
    sent = malformed = 0
    for i in paced(rate, seconds=seconds):
        if i % 4 == 3:
            payload = struct.pack("!QQBBBBI", i + 1, 0, 33, 0x20, 34, 0x08, 0) + os.urandom(60)
            payload = payload[:24] + struct.pack("!I", len(payload)) + payload[28:]
            malformed += 1
        else:
            payload = ike_sa_init(0x5A00000000000000 + i + 1)
        udp = struct.pack("!HHHH", 500, 500, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        s.sendto(ip + udp, (dst, 0))
        sent += 1
    print(f"{sent} spoofed IKE datagrams, {malformed} malformed")


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "icmp-ids":
        icmp_ids(args[0], int(args[1]), float(args[2]), int(args[3]) if len(args) > 3 else 0)
    elif what == "udp-flows":
        udp_flows(args[0], float(args[1]), float(args[2]))
    elif what == "udp-burst":
        udp_burst(args[0], int(args[1]), int(args[2]))
    elif what == "ike-bad-ke":
        ike_bad_ke(args[0], args[1], float(args[2]), float(args[3]))
    else:
        sys.exit(__doc__)
