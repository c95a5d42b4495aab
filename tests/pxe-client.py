#!/usr/bin/python3
"""pxe-client.py - a small PXE-shaped DHCP client for lanroot's tests.

Run it inside a client network namespace.  It sends what PXE, UEFI and
UEFI HTTP Boot firmware and iPXE send (options 53, 55, 57, 60, 93, 94, 97,
and 77/175 for iPXE), collects every reply for a while and prints them as
one JSON document on stdout:

    {"xid": ..., "mac": ..., "replies": [REPLY, ...], "ack": REPLY|null, ...}
    REPLY = {"src": ip, "sport": port, "type": "OFFER", "yiaddr": ..., "siaddr":
             ..., "giaddr": ..., "file": ..., "sname": ..., "vendor_class": ...,
             "server_id": ..., "options": {"60": "hex", ...}, "flags": n, ...}

Modes:
  (default)         DISCOVER broadcast from 0.0.0.0:68 (SO_BINDTODEVICE), with
                    the broadcast flag unless --unicast-ok; replies are read
                    on 0.0.0.0:68 (and with --unicast-ok from an AF_PACKET
                    socket, which also sees frames sent to the client's MAC
                    at an address the interface does not have).
  --dora            then REQUEST the address of the first OFFER with a yiaddr
                    and wait for the ACK/NAK (full mode).
  --request-4011    then send a REQUEST to the proxy server's port 4011 from
                    --ciaddr (which the interface must have), as UEFI firmware
                    does in proxy mode; the reply is "ack".
  --giaddr G --server S
                    act as a relay agent on G: DISCOVER unicast from G:67 to
                    S:67 with giaddr G, hops 1; replies are read on G:67.
  --release IP --server S / --decline IP --server S
                    send DHCPRELEASE (unicast from IP:68 to S:67) or
                    DHCPDECLINE (broadcast) for IP and exit.
  --inform IP --server S
                    DHCPINFORM from IP:68 to S:67, print the ACK.
  --init-reboot IP  REQUEST IP as a client in INIT-REBOOT state; "ack" is
                    the ACK or NAK.
  --raw-hex HEX     send these bytes (a whole DHCP message) to port 67 as is.

Exit status: 0 (even when nothing answered: the test decides), 2 for usage
errors and socket failures.
"""

import argparse
import binascii
import json
import random
import select
import socket
import struct
import sys
import time

BOOTREQUEST, BOOTREPLY = 1, 2
MAGIC = 0x63825363
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK",
         6: "NAK", 7: "RELEASE", 8: "INFORM"}
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
ETH_P_IP = 0x0800


def mac_bytes(s):
    """'52:54:00:00:00:01' (or with '-') -> 6 bytes."""
    b = bytes(int(x, 16) for x in s.replace("-", ":").split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC " + s)
    return b


def iface_mac(ifname):
    with open("/sys/class/net/%s/address" % ifname) as f:
        return f.read().strip()


def opt(code, data):
    if isinstance(data, str):
        data = data.encode()
    out = b""
    # RFC 3396: split long options
    while True:
        piece, data = data[:255], data[255:]
        out += bytes([code, len(piece)]) + piece
        if not data:
            return out


def build(args, mtype, xid, mac, ciaddr="0.0.0.0", giaddr="0.0.0.0",
          requested=None, server_id=None, broadcast=True, hops=0, boot_item=False):
    """A BOOTREQUEST of DHCP type @mtype with the PXE options of @args."""
    flags = 0x8000 if broadcast else 0
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", BOOTREQUEST, 1, 6, hops, xid,
                      args.secs, flags, socket.inet_aton(ciaddr),
                      socket.inet_aton("0.0.0.0"), socket.inet_aton("0.0.0.0"),
                      socket.inet_aton(giaddr), mac + bytes(10), b"", b"")
    o = struct.pack("!I", MAGIC)
    o += opt(53, bytes([mtype]))
    if requested:
        o += opt(50, socket.inet_aton(requested))
    if server_id:
        o += opt(54, socket.inet_aton(server_id))
    if args.hostname:
        o += opt(12, args.hostname)
    o += opt(57, struct.pack("!H", 1472))
    if args.client_id:
        o += opt(61, b"\x01" + mac)
    if not args.plain:
        o += opt(55, bytes([1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28,
                            40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67,
                            97, 128, 129, 130, 131, 132, 133, 134, 135, 175]))
        if args.arch is not None:
            if args.arch in (16, 19):
                vc = "HTTPClient:Arch:%05d:UNDI:003001" % args.arch
            else:
                vc = "PXEClient:Arch:%05d:UNDI:002001" % args.arch
            if args.vendor_class is not None:
                vc = args.vendor_class
            o += opt(60, vc)
            o += opt(93, struct.pack("!H", args.arch))
            o += opt(94, bytes([1, 3, 16] if args.arch in (16, 19) else [1, 2, 1]))
            uuid = bytes.fromhex(args.uuid.replace("-", ""))
            o += opt(97, b"\x00" + uuid)
        elif args.vendor_class is not None:
            o += opt(60, args.vendor_class)
        if args.ipxe:
            o += opt(77, "iPXE")
            # a few iPXE feature indicators: 19 HTTP, 16 PXEEXT, 33 bus id
            o += opt(175, bytes([19, 1, 1, 16, 1, 2, 21, 1, 1]))
    if boot_item:
        # PXE option 43 with boot item 71: server type 0x8000, layer 0 (PXE 2.1 2.2.5)
        o += opt(43, bytes([71, 4, 0x80, 0, 0, 0, 255]))
    if args.agent_info:
        o += opt(82, bytes.fromhex(args.agent_info))
    o += bytes([255])
    pkt = hdr + o
    if len(pkt) < 300:
        pkt += bytes(300 - len(pkt))
    return pkt


def ip_str(b):
    return socket.inet_ntoa(b)


def parse(data):
    """A BOOTREPLY as a dict, or None if it is not one."""
    if len(data) < 240:
        return None
    (op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, ch, sname,
     fname) = struct.unpack("!BBBBIHH4s4s4s4s16s64s128s", data[:236])
    if op != BOOTREPLY or struct.unpack("!I", data[236:240])[0] != MAGIC:
        return None
    opts = {}

    def walk(buf):
        i = 0
        while i < len(buf):
            c = buf[i]
            if c == 0:
                i += 1
                continue
            if c == 255:
                break
            if i + 1 >= len(buf):
                break
            n = buf[i + 1]
            opts[c] = opts.get(c, b"") + buf[i + 2:i + 2 + n]
            i += 2 + n

    walk(data[240:])
    ov = opts.get(52, b"\x00")[0] if 52 in opts else 0
    if ov & 1:
        walk(fname)
    if ov & 2:
        walk(sname)
    r = {
        "op": op, "xid": xid, "flags": flags, "hops": hops,
        "ciaddr": ip_str(ci), "yiaddr": ip_str(yi), "siaddr": ip_str(si),
        "giaddr": ip_str(gi), "chaddr": ":".join("%02x" % b for b in ch[:hlen if hlen <= 16 else 6]),
        "sname": "" if ov & 2 else sname.split(b"\0")[0].decode("latin-1"),
        "file": "" if ov & 1 else fname.split(b"\0")[0].decode("latin-1"),
        "len": len(data),
        "options": {str(k): binascii.hexlify(v).decode() for k, v in sorted(opts.items())},
    }
    t = opts.get(53)
    r["type"] = TYPES.get(t[0], str(t[0])) if t else "BOOTP"
    if 54 in opts and len(opts[54]) == 4:
        r["server_id"] = ip_str(opts[54])
    if 60 in opts:
        r["vendor_class"] = opts[60].decode("latin-1")
    if 67 in opts:
        r["bootfile_opt"] = opts[67].split(b"\0")[0].decode("latin-1")
    if 66 in opts:
        r["tftp_server_opt"] = opts[66].split(b"\0")[0].decode("latin-1")
    r["boot_file"] = r["file"] or r.get("bootfile_opt", "")
    for code, name in ((1, "subnet_mask"), (3, "router"), (6, "dns")):
        if code in opts and len(opts[code]) >= 4:
            r[name] = ip_str(opts[code][:4])
    if 51 in opts and len(opts[51]) == 4:
        r["lease_time"] = struct.unpack("!I", opts[51])[0]
    if 43 in opts:
        r["pxe_vendor"] = binascii.hexlify(opts[43]).decode()
    return r


class Receiver:
    """UDP socket on ADDR:PORT (bound to the device), optionally with an
    AF_PACKET socket that sees every frame to UDP port @port."""

    def __init__(self, ifname, addr, port, packet=False):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if ifname:
            self.udp.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())
        self.udp.bind((addr, port))
        self.port = port
        self.pkt = None
        if packet and ifname:
            self.pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                     socket.htons(ETH_P_IP))
            self.pkt.bind((ifname, ETH_P_IP))
        self.seen = set()

    def close(self):
        self.udp.close()
        if self.pkt:
            self.pkt.close()

    def recv(self, xid, deadline, want=None, stop_src=None):
        """Replies with @xid until @deadline (or the first whose type is in
        @want, or the first from @stop_src).  Duplicates (the same bytes seen
        on both sockets) count once."""
        out = []
        socks = [self.udp] + ([self.pkt] if self.pkt else [])
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            rd, _, _ = select.select(socks, [], [], left)
            for s in rd:
                if s is self.udp:
                    data, (src, sport) = s.recvfrom(65535)
                else:
                    frame, meta = s.recvfrom(65535)
                    if meta[2] == socket.PACKET_OUTGOING:
                        continue
                    ip = frame
                    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                        continue
                    ihl = (ip[0] & 15) * 4
                    sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
                    if dport != self.port:
                        continue
                    src = ip_str(ip[12:16])
                    data = ip[ihl + 8:ihl + ulen]
                key = bytes(data)
                if key in self.seen:
                    continue
                self.seen.add(key)
                r = parse(data)
                if r is None or r["xid"] != xid:
                    continue
                r["src"] = src
                r["sport"] = sport
                out.append(r)
                if (want and r["type"] in want) or (stop_src and src == stop_src):
                    return out


def send_from(ifname, laddr, lport, dst, dport, pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    if ifname:
        s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())
    s.bind((laddr, lport))
    s.sendto(pkt, (dst, dport))
    s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-i", "--interface", required=True)
    p.add_argument("--mac", help="chaddr (default: the interface's MAC)")
    p.add_argument("--arch", type=int, help="option 93 (and 60, 94, 97); none: a plain client")
    p.add_argument("--vendor-class", help="option 60 instead of the PXEClient/HTTPClient one")
    p.add_argument("--uuid", default="12345678-9abc-def0-1234-56789abcdef0")
    p.add_argument("--ipxe", action="store_true", help="user class iPXE and option 175")
    p.add_argument("--plain", action="store_true", help="no option 55/60/93/94/97")
    p.add_argument("--hostname")
    p.add_argument("--client-id", action="store_true", help="send option 61")
    p.add_argument("--secs", type=int, default=4)
    p.add_argument("--wait", type=float, default=2.0, help="seconds to collect replies")
    p.add_argument("--first", action="store_true", help="stop at the first reply")
    p.add_argument("--stop-from", metavar="IP", help="stop at the first reply from IP")
    p.add_argument("--unicast-ok", action="store_true",
                   help="no broadcast flag; also read frames to our MAC via AF_PACKET")
    p.add_argument("--dora", action="store_true")
    p.add_argument("--requested", help="option 50 in the DISCOVER")
    p.add_argument("--request-4011", action="store_true")
    p.add_argument("--ciaddr", default="0.0.0.0")
    p.add_argument("--giaddr")
    p.add_argument("--server")
    p.add_argument("--agent-info", metavar="HEX", help="option 82 (a relay's), last option")
    p.add_argument("--release")
    p.add_argument("--decline")
    p.add_argument("--inform")
    p.add_argument("--init-reboot", metavar="IP",
                   help="REQUEST IP (option 50, no server id, broadcast) as a rebooting client does")
    p.add_argument("--raw-hex")
    args = p.parse_args()

    ifname = args.interface
    mac = mac_bytes(args.mac or iface_mac(ifname))
    xid = random.getrandbits(32)
    res = {"xid": xid, "mac": ":".join("%02x" % b for b in mac), "replies": [], "ack": None}
    bcast = not args.unicast_ok

    if args.raw_hex is not None:
        dst = args.server or "255.255.255.255"
        send_from(ifname, "0.0.0.0", 68, dst, 67, bytes.fromhex(args.raw_hex))
        print(json.dumps(res))
        return 0

    if args.release or args.decline:
        if not args.server:
            p.error("--release/--decline need --server")
        if args.release:
            pkt = build(args, 7, xid, mac, ciaddr=args.release, server_id=args.server,
                        broadcast=False)
            send_from(ifname, "0.0.0.0", 68, args.server, 67, pkt)
        else:
            pkt = build(args, 4, xid, mac, requested=args.decline, server_id=args.server,
                        broadcast=True)
            send_from(ifname, "0.0.0.0", 68, "255.255.255.255", 67, pkt)
        print(json.dumps(res))
        return 0

    if args.inform:
        if not args.server:
            p.error("--inform needs --server")
        rx = Receiver(ifname, "0.0.0.0", 68)
        pkt = build(args, 8, xid, mac, ciaddr=args.inform, broadcast=False)
        rx.udp.sendto(pkt, (args.server, 67))
        res["replies"] = rx.recv(xid, time.monotonic() + args.wait, want={"ACK", "NAK"})
        rx.close()
        print(json.dumps(res))
        return 0

    if args.init_reboot:
        rx = Receiver(ifname, "0.0.0.0", 68)
        pkt = build(args, 3, xid, mac, requested=args.init_reboot, broadcast=True)
        rx.udp.sendto(pkt, ("255.255.255.255", 67))
        res["replies"] = rx.recv(xid, time.monotonic() + args.wait, want={"ACK", "NAK"})
        res["ack"] = res["replies"][-1] if res["replies"] else None
        rx.close()
        print(json.dumps(res))
        return 0

    if args.giaddr:
        if not args.server:
            p.error("--giaddr needs --server")
        rx = Receiver(ifname, args.giaddr, 67)
        pkt = build(args, 1, xid, mac, giaddr=args.giaddr, requested=args.requested,
                    broadcast=False, hops=1)
        rx.udp.sendto(pkt, (args.server, 67))
        res["replies"] = rx.recv(xid, time.monotonic() + args.wait,
                                 want={"OFFER"} if args.first or args.dora else None)
        if args.dora:
            offer = next((r for r in res["replies"] if r["type"] == "OFFER"), None)
            if offer:
                pkt = build(args, 3, xid, mac, giaddr=args.giaddr, requested=offer["yiaddr"],
                            server_id=offer.get("server_id"), broadcast=False, hops=1)
                rx.udp.sendto(pkt, (args.server, 67))
                r = rx.recv(xid, time.monotonic() + args.wait, want={"ACK", "NAK"})
                res["ack"] = r[-1] if r else None
        rx.close()
        print(json.dumps(res))
        return 0

    rx = Receiver(ifname, "0.0.0.0", 68, packet=args.unicast_ok)
    pkt = build(args, 1, xid, mac, requested=args.requested,
                broadcast=bcast)
    rx.udp.sendto(pkt, ("255.255.255.255", 67))
    want = {"OFFER"} if (args.first or args.dora) else None
    res["replies"] = rx.recv(xid, time.monotonic() + args.wait, want=want,
                             stop_src=args.stop_from)

    if args.dora:
        offer = next((r for r in res["replies"] if r["type"] == "OFFER"
                      and r["yiaddr"] != "0.0.0.0"), None)
        if offer:
            pkt = build(args, 3, xid, mac, requested=offer["yiaddr"],
                        server_id=offer.get("server_id"), broadcast=bcast)
            rx.udp.sendto(pkt, ("255.255.255.255", 67))
            r = rx.recv(xid, time.monotonic() + args.wait, want={"ACK", "NAK"})
            res["ack"] = r[-1] if r else None

    if args.request_4011:
        proxy = next((r for r in res["replies"] if r["type"] == "OFFER"
                      and r.get("vendor_class", "").startswith(("PXEClient", "HTTPClient"))), None)
        if proxy:
            server = args.server or proxy.get("server_id") or proxy["src"]
            pkt = build(args, 3, xid, mac, ciaddr=args.ciaddr, broadcast=False,
                        boot_item=args.arch not in (None, 16, 19))
            rx.udp.sendto(pkt, (server, 4011))
            r = rx.recv(xid, time.monotonic() + args.wait, want={"ACK", "NAK"})
            res["ack"] = r[-1] if r else None
            res["server_4011"] = server
    rx.close()
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        print("pxe-client.py: %s" % e, file=sys.stderr)
        sys.exit(2)
