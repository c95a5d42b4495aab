#!/bin/sh
# The boot loaders come from the Debian packages at their Debian paths and
# are served under their standard names: pxelinux.0 and the .c32 modules it
# loads (syslinux-common bios/), efi64/syslinux.efi with its efi64 modules,
# and iPXE's undionly.kpxe, snponly.efi and ipxe.efi — byte for byte, over
# TFTP (atftp) and HTTP (curl).  A file of the same name in the TFTP root
# overrides a loader; with a loader directory configured elsewhere, the
# loader is served from there.
. "${top_srcdir:-.}/tests/functions.sh"
requires atftp --help
requires curl --version
for f in /usr/lib/PXELINUX/pxelinux.0 /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi /usr/lib/ipxe/undionly.kpxe; do
	[ -f "$f" ] || { echo "$0: test skipped: $f missing (scripts/install-deps)" >&2; exit 77; }
done
bootd_env
bootd_start

tget() {	# tget NAME OUT — fetch NAME over TFTP
	atftp --option "blksize 1428" -g -r "$1" -l "$2" 127.0.0.1 "$TFTP_PORT" >/dev/null 2>&1
}

while read -r name path; do
	tget "$name" "$tmp/got" || { tail "$tmp/bootd.log"; fail "TFTP $name failed"; }
	cmp -s "$tmp/got" "$path" || fail "TFTP $name differs from $path"
	curl -sf -o "$tmp/got" "$http_url/$name" || fail "HTTP $name failed"
	cmp -s "$tmp/got" "$path" || fail "HTTP $name differs from $path"
done <<EOL
pxelinux.0 /usr/lib/PXELINUX/pxelinux.0
lpxelinux.0 /usr/lib/PXELINUX/lpxelinux.0
ldlinux.c32 /usr/lib/syslinux/modules/bios/ldlinux.c32
menu.c32 /usr/lib/syslinux/modules/bios/menu.c32
libutil.c32 /usr/lib/syslinux/modules/bios/libutil.c32
libcom32.c32 /usr/lib/syslinux/modules/bios/libcom32.c32
efi64/syslinux.efi /usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
efi64/ldlinux.e64 /usr/lib/syslinux/modules/efi64/ldlinux.e64
efi64/menu.c32 /usr/lib/syslinux/modules/efi64/menu.c32
efi64/libutil.c32 /usr/lib/syslinux/modules/efi64/libutil.c32
undionly.kpxe /usr/lib/ipxe/undionly.kpxe
snponly.efi /usr/lib/ipxe/snponly.efi
ipxe.efi /usr/lib/ipxe/ipxe.efi
EOL

# An admin's file of the same name wins.
echo "my own loader" >"$tmp/tftp/undionly.kpxe"
tget undionly.kpxe "$tmp/got" || fail "TFTP undionly.kpxe (override) failed"
grep -q "my own loader" "$tmp/got" || fail "the TFTP root's undionly.kpxe did not override the loader"

# Loader directories are configurable (reload).
mkdir -p "$tmp/ipxe"
echo "another ipxe" >"$tmp/ipxe/snponly.efi"
conf_set boot ipxe_dir "$tmp/ipxe"
bootd_call reload
curl -sf "$http_url/snponly.efi" | grep -q "another ipxe" ||
	fail "snponly.efi not served from the configured ipxe_dir"
bootd_stop
