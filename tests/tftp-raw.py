#!/usr/bin/env python3
"""A TFTP client for lanroot's shell tests that sends exactly what it is told
(the real clients normalise names and options), on 127.0.0.1.

  tftp-raw.py rrq PORT NAME [MODE] [OPT=VALUE ...]   first reply, one line:
        "OACK k=v ...", "DATA BLOCK LEN", "ERROR CODE MESSAGE" or "TIMEOUT"
  tftp-raw.py raw PORT HEX                           send bytes, first reply
  tftp-raw.py get PORT NAME OUT [OPT=VALUE ...]      fetch a file (octet)
  tftp-raw.py dupack PORT NAME                       ACK block 1 three times:
        print how many DATA 2 arrive in the next second (1 = no apprentice)
  tftp-raw.py noack PORT NAME SECONDS                never ACK: print the
        seconds at which DATA 1 came, then "ERROR CODE MESSAGE" if one came
  tftp-raw.py flood PORT COUNT NAME PER_IP HOLD      COUNT RRQs from
        127.0.X.Y (PER_IP per address), never ACKed: print
        "oack=N busy=N other=N" once all answered (or after 20 s), then keep
        the sockets open HOLD seconds
"""
import resource
import socket
import struct
import sys
import time

OP_RRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK = 1, 3, 4, 5, 6


def rrq(name, mode="octet", opts=()):
    b = struct.pack("!H", OP_RRQ) + name.encode("latin-1") + b"\0" + mode.encode() + b"\0"
    for o in opts:
        k, v = o.split("=", 1)
        b += k.encode() + b"\0" + v.encode() + b"\0"
    return b


def describe(d):
    op = struct.unpack("!H", d[:2])[0] if len(d) >= 2 else -1
    if op == OP_OACK:
        f = d[2:].split(b"\0")[:-1]
        return "OACK " + " ".join("%s=%s" % (f[i].decode(), f[i + 1].decode())
                                  for i in range(0, len(f) - 1, 2))
    if op == OP_DATA:
        return "DATA %d %d" % (struct.unpack("!H", d[2:4])[0], len(d) - 4)
    if op == OP_ERROR:
        return "ERROR %d %s" % (struct.unpack("!H", d[2:4])[0],
                                d[4:].rstrip(b"\0").decode("latin-1"))
    return "OTHER %s" % d.hex()


def sock(timeout=3.0, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    return s


def first_reply(port, pkt):
    s = sock()
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        d, _ = s.recvfrom(70000)
    except socket.timeout:
        return "TIMEOUT"
    return describe(d)


def ack(s, peer, block):
    s.sendto(struct.pack("!HH", OP_ACK, block & 0xffff), peer)


def main(argv):
    cmd, port = argv[1], int(argv[2])
    if cmd == "rrq":
        print(first_reply(port, rrq(argv[3], argv[4] if len(argv) > 4 else "octet", argv[5:])))
    elif cmd == "raw":
        print(first_reply(port, bytes.fromhex(argv[3])))
    elif cmd == "get":
        s = sock()
        s.sendto(rrq(argv[3], "octet", argv[5:]), ("127.0.0.1", port))
        blksize, out, want = 512, bytearray(), 1
        while True:
            d, peer = s.recvfrom(70000)
            op = struct.unpack("!H", d[:2])[0]
            if op == OP_OACK:
                f = d[2:].split(b"\0")
                opts = dict(zip(f[0::2], f[1::2]))
                blksize = int(opts.get(b"blksize", 512))
                ack(s, peer, 0)
            elif op == OP_DATA:
                blk = struct.unpack("!H", d[2:4])[0]
                if blk == want & 0xffff:
                    out += d[4:]
                    want += 1
                ack(s, peer, (want - 1) & 0xffff)
                if blk == (want - 1) & 0xffff and len(d) - 4 < blksize:
                    break
            else:
                print(describe(d))
                return 1
        open(argv[4], "wb").write(out)
    elif cmd == "dupack":
        s = sock(1.0)
        s.sendto(rrq(argv[3]), ("127.0.0.1", port))
        d, peer = s.recvfrom(70000)
        assert describe(d).startswith("DATA 1 "), describe(d)
        for _ in range(3):
            ack(s, peer, 1)
        n, end = 0, time.time() + 1.0
        while time.time() < end:
            try:
                d, _ = s.recvfrom(70000)
            except socket.timeout:
                break
            if describe(d).startswith("DATA 2 "):
                n += 1
        print(n)
    elif cmd == "noack":
        s = sock(float(argv[4]))
        t0 = time.time()
        s.sendto(rrq(argv[3]), ("127.0.0.1", port))
        times = []
        while time.time() - t0 < float(argv[4]):
            try:
                d, _ = s.recvfrom(70000)
            except socket.timeout:
                break
            r = describe(d)
            if r.startswith("DATA 1 "):
                times.append("%.1f" % (time.time() - t0))
            else:
                times.append(r)
                break
        print(" ".join(times))
    elif cmd == "flood":
        count, name, per_ip, hold = int(argv[3]), argv[4], int(argv[5]), float(argv[6])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
        socks = []
        for i in range(count):
            a = i // per_ip
            s = sock(0, "127.0.%d.%d" % (1 + a // 250, 1 + a % 250))
            s.setblocking(False)
            s.sendto(rrq(name, "octet", ["blksize=1468"]), ("127.0.0.1", port))
            socks.append(s)
        got = {"oack": 0, "busy": 0, "other": 0}
        replies, end = {}, time.time() + 20
        while len(replies) < count and time.time() < end:
            for i, s in enumerate(socks):
                if i not in replies:
                    try:
                        replies[i] = describe(s.recv(70000))
                    except BlockingIOError:
                        pass
            time.sleep(0.05)
        for i in range(count):
            r = replies.get(i, "")
            if r.startswith("OACK"):
                got["oack"] += 1
            elif r.startswith("ERROR") and "busy" in r:
                got["busy"] += 1
            else:
                got["other"] += 1
        print(" ".join("%s=%d" % kv for kv in got.items()))
        sys.stdout.flush()
        time.sleep(hold)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
