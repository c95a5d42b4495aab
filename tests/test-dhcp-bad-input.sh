#!/bin/sh
# Bad DHCP input never stops bootd from serving: empty, truncated and
# garbled messages, a wrong magic cookie, options with wrong lengths or
# running past the end, option overload into file/sname with broken or
# recursive contents, a 64 KiB datagram, a message without a message type,
# a BOOTREPLY, an absurd hlen, broken PXE option 43, and a few thousand
# mutations of a valid DISCOVER -- sent with Python to ports 67 and 4011.
# bootd stays up, names what was wrong in debug lines, counts the malformed
# messages, and then serves busybox udhcpc normally.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires_root
mktmpdir
lanroot_env

dhcp_pair 192.0.2.250/24
$LR init >/dev/null
bootd_conf_full dhcp.range=192.0.2.100-192.0.2.199
bootd_start "$srv"

ip netns exec "$cli" "$PYTHON" - >"$tmp/sent" 2>&1 <<'EOP' || { cat "$tmp/sent"; fail "the sender failed"; }
import random, socket, struct, sys

SRV = "192.0.2.1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
s.setsockopt(socket.SOL_SOCKET, 25, b"eth0")  # SO_BINDTODEVICE
s.bind(("0.0.0.0", 68))

def header(op=1, htype=1, hlen=6, flags=0x8000, file=b"", sname=b"", mac=b"\x52\x54\x00\xbb\x00\x01"):
    return struct.pack("!BBBBIHHIIII16s64s128s", op, htype, hlen, 0, random.getrandbits(32),
                       0, flags, 0, 0, 0, 0, mac, sname, file)

COOKIE = b"\x63\x82\x53\x63"
def msg(opts, **kw):
    return header(**kw) + COOKIE + opts

def opt(code, data):
    return bytes([code, len(data)]) + data

DISCOVER = opt(53, b"\x01")
PXE = opt(60, b"PXEClient:Arch:00007:UNDI:003016") + opt(93, b"\x00\x07") + \
      opt(97, b"\x00" + bytes(range(16)))
good = msg(DISCOVER + PXE + opt(55, bytes([1, 3, 6, 43, 60, 66, 67])) + b"\xff")

cases = [
    ("empty datagram", b""),
    ("one byte", b"\x01"),
    ("truncated header", good[:100]),
    ("header without cookie", good[:236]),
    ("wrong magic cookie", header() + b"\x63\x82\x53\x64" + DISCOVER + b"\xff"),
    ("option running past the end", msg(DISCOVER + b"\x0c\xc8abc")),
    ("option length byte missing", msg(DISCOVER + b"\x0c")),
    ("message type of length 2", msg(opt(53, b"\x01\x01") + b"\xff")),
    ("message type of length 0", msg(opt(53, b"") + b"\xff")),
    ("message type missing", msg(opt(12, b"nohost") + b"\xff")),
    ("unknown message type", msg(opt(53, b"\x63") + b"\xff")),
    ("server-side message type", msg(opt(53, b"\x02") + b"\xff")),
    ("requested address of 3 bytes", msg(DISCOVER + opt(50, b"\xc0\x00\x02") + b"\xff")),
    ("server id of 5 bytes", msg(opt(53, b"\x03") + opt(54, b"\xc0\x00\x02\x01\x00") + b"\xff")),
    ("max size of 1 byte", msg(DISCOVER + opt(57, b"\x02") + b"\xff")),
    ("max size 0", msg(DISCOVER + opt(57, b"\x00\x00") + b"\xff")),
    ("client id of 1 byte", msg(DISCOVER + opt(61, b"\x01") + b"\xff")),
    ("arch of 1 byte", msg(DISCOVER + opt(60, b"PXEClient") + opt(93, b"\x07") + b"\xff")),
    ("arch of 3 bytes", msg(DISCOVER + opt(60, b"PXEClient") + opt(93, b"\x00\x07\x00") + b"\xff")),
    ("NDI of 2 bytes", msg(DISCOVER + opt(60, b"PXEClient") + opt(94, b"\x01\x02") + b"\xff")),
    ("UUID of 5 bytes", msg(DISCOVER + opt(60, b"PXEClient") + opt(97, b"\x00abcd") + b"\xff")),
    ("UUID of wrong type", msg(DISCOVER + opt(60, b"PXEClient") + opt(97, b"\x07" + bytes(16)) + b"\xff")),
    ("overload of 2 bytes", msg(DISCOVER + opt(52, b"\x01\x01") + b"\xff")),
    ("overload value 9", msg(DISCOVER + opt(52, b"\x09") + b"\xff")),
    ("overload with a garbled file field",
     msg(DISCOVER + opt(52, b"\x01") + b"\xff", file=b"\x0c\xf0" + b"x" * 100)),
    ("overload with a garbled sname field",
     msg(DISCOVER + opt(52, b"\x03") + b"\xff", file=b"\xff", sname=b"\x3c\x7f" + b"y" * 20)),
    ("overload inside the file field", msg(DISCOVER + opt(52, b"\x01") + b"\xff",
                                           file=opt(52, b"\x03") + opt(52, b"\x02") + b"\xff")),
    ("message type only in the overloaded file field",
     msg(opt(52, b"\x01") + b"\xff", file=DISCOVER + b"\xff")),
    ("no end option", msg(DISCOVER + PXE)),
    ("hlen 200", msg(DISCOVER + b"\xff", hlen=200)),
    ("htype 6 hlen 0", msg(DISCOVER + b"\xff", htype=6, hlen=0)),
    ("a BOOTREPLY", msg(opt(53, b"\x02") + b"\xff", op=2)),
    ("op 0", msg(DISCOVER + b"\xff", op=0)),
    ("PXE option 43 running past its end",
     msg(DISCOVER + PXE + opt(43, b"\x47\x10\x80\x00") + b"\xff")),
    ("PXE option 43 boot item of 3 bytes",
     msg(opt(53, b"\x03") + PXE + opt(43, b"\x47\x03\x80\x00\x00\xff") + b"\xff")),
    ("iPXE option 175 garbled", msg(DISCOVER + PXE + opt(175, b"\x13\x09\x01") + b"\xff")),
    ("user class with a bad length", msg(DISCOVER + PXE + opt(77, b"\x09iPXE") + b"\xff")),
    ("user class of length 0 entries", msg(DISCOVER + PXE + opt(77, b"\x00\x00\x00") + b"\xff")),
    ("relay agent option garbled", msg(DISCOVER + opt(82, b"\x01\x09ab") + b"\xff")),
    # RFC 3396: 250 pieces of option 43 join to 63,750 bytes in a 64 KiB datagram
    ("64 KiB of joined option pieces",
     msg(DISCOVER + PXE + opt(43, b"\x06\x01\x08") + b"".join(opt(43, b"\x01" * 255) for _ in range(250)) + b"\xff")),
    ("64 KiB of random bytes", bytes(random.getrandbits(8) for _ in range(65000))),
    ("64 KiB of pad options", msg(DISCOVER + bytes(65000 - 241) + b"\xff")),
    ("64 KiB of one-byte options", msg(DISCOVER + b"\x0c\x00" * 32000 + b"\xff")),
]
random.seed(4)
# (the client MAC at 28..33 stays: a mutated MAC would take an address of
# the pool for the offer's hold time, which is not what this test is about)
spots = [i for i in range(len(good)) if not 28 <= i < 34]
for i in range(2000):
    m = bytearray(good)
    for _ in range(random.randint(1, 8)):
        m[random.choice(spots)] = random.getrandbits(8)
    if random.random() < 0.3:
        m = m[:random.randrange(len(m))]
    cases.append(("mutation %d" % i, bytes(m)))

sent = 0
for name, data in cases:
    for port in (67, 4011) if not name.startswith("mutation") else (67,):
        try:
            s.sendto(data, (SRV, port))
            sent += 1
        except OSError as e:
            print("%s: %s" % (name, e))
            raise
# and a few broadcast too, as a client without an address sends them
for name, data in cases[:40]:
    if len(data) < 1400:
        s.sendto(data, ("255.255.255.255", 67))
print("sent %d" % sent)
EOP

sleep 0.5
kill -0 "$bootd_pid" 2>/dev/null || { cat "$tmp/bootd.log"; fail "lanroot-bootd died"; }
bootd_ctl_cmd '{"cmd":"ping"}' >/dev/null || fail "bootd does not answer ping"

# the log says what was wrong
for what in "malformed message" "magic cookie" "shorter than" "runs past" \
	"option 53 (.*) has length 2" "option 93 (client architecture)" "option 97" \
	"option 52 (overload) has value" "option 43 (PXE)" "hlen 200" "BOOTP is not served"; do
	grep -qi "$what" "$tmp/bootd.log" || { tail -50 "$tmp/bootd.log"; fail "no log line with '$what'"; }
done
if grep -q "AddressSanitizer\|runtime error" "$tmp/bootd.log"; then
	cat "$tmp/bootd.log"; fail "sanitizer report"
fi
bootd_call status
grep -q '"malformed": *[1-9]' "$tmp/json" || { cat "$tmp/json"; fail "status counts no malformed message"; }

# and a real client is served as usual
ip -n "$cli" addr flush dev eth0
udhcpc_lease "$cli"
case $ip in
192.0.2.1[0-9][0-9]) ;;
*) fail "udhcpc got $ip" ;;
esac
bootd_stop
