#!/bin/sh
# SIGHUP rereads the config without dropping sessions.  A libnbd session of
# pc01 stays open throughout.  version_exports switched from false to true:
# after SIGHUP (a daemon.reload event) the session still reads and writes,
# and `lab@1` opens read-only with the base's bytes.  Then a config with an
# error: blockd keeps running with the old settings (the log says so, a
# config.error event naming the key), the session still works and `lab@1`
# still opens; NBD_OPT_LIST (nbdinfo --list) shows it.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdinfo --version
mktmpdir
lanroot_env
blockd_conf "version_exports = false"
nbd_setup persistent
blockd_start
lab1="nbd://127.0.0.1:$nbd_port/lab@1"

"$PYTHON" - "$uri" "$lab1" "$conf" "$blockd_pid" "$tmp/blockd.log" "$tmp/base.img" <<'EOF' || fail "reload"
import nbd, os, signal, sys, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
uri, lab1, conf, pid, log, base = sys.argv[1:7]
pid, base = int(pid), open(base, "rb").read()

def opens(uri):
    h = nbd.NBD()
    try:
        h.connect_uri(uri)
    except nbd.Error as e:
        return None
    return h

def hup(event):
    """SIGHUP, then wait for @event in the log (new lines only)."""
    seen = open(log).read().count(event)
    os.kill(pid, signal.SIGHUP)
    t = time.monotonic()
    while open(log).read().count(event) == seen:
        if time.monotonic() - t > 5:
            sys.exit("no %s event in the log 5 s after SIGHUP" % event)
        time.sleep(0.05)

def still_works(h, tag):
    data = tag.encode().ljust(4096, b".")
    h.pwrite(data, 8192)
    h.flush()
    if h.pread(4096, 8192) != data:
        sys.exit("the open session reads wrong data (%s)" % tag)

session = nbd.NBD()
session.connect_uri(uri)
still_works(session, "before")
if opens(lab1):
    sys.exit("lab@1 opens with version_exports = false")

text = open(conf).read()
if "version_exports = false" not in text:
    sys.exit("the config has no 'version_exports = false' line")
open(conf, "w").write(text.replace("version_exports = false", "version_exports = true"))
hup("event=daemon.reload")
still_works(session, "after the reload")
h = opens(lab1)
if not h:
    sys.exit("lab@1 does not open after the reload with version_exports = true")
if not h.is_read_only():
    sys.exit("lab@1 is not read-only")
if h.pread(len(base), 0) != base:
    sys.exit("lab@1 does not read as the base")
h.shutdown()

with open(conf, "a") as f:
    f.write("idle_timeout = soon\n")
hup("event=config.error")
if open(log).read().count("keeping the old settings") != 1:
    sys.exit("the log does not say the old settings are kept")
still_works(session, "after a bad config")
h = opens(lab1)
if not h:
    sys.exit("lab@1 does not open after a failed reload (the old settings are gone)")
h.shutdown()
session.shutdown()
EOF
kill -0 $blockd_pid || fail "blockd died"
# NBD_OPT_LIST (the version exports are on).
nbdinfo --list --json "nbd://127.0.0.1:$nbd_port" >"$tmp/list.json" 2>"$tmp/list.err" ||
	{ cat "$tmp/list.err"; fail "nbdinfo --list failed"; }
json_get '["exports"]' <"$tmp/list.json" | grep -q '"export-name": "lab@1"' ||
	{ cat "$tmp/list.json"; fail "nbdinfo --list does not show lab@1"; }
grep -q 'event=config.error .*idle_timeout' "$tmp/blockd.log" ||
	{ cat "$tmp/blockd.log"; fail "the config.error event does not name the bad key"; }
blockd_stop
