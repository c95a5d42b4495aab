/* DHCPv4 wire format: constants, a request parser and a reply builder over
 * byte buffers.
 *
 * Everything here is a pure function over memory: no sockets, no I/O, no
 * allocation.  The parser never reads outside [buf, buf + len) and describes
 * what was wrong in a caller-supplied message buffer (char msg[DHCP_MSG_LEN],
 * may be NULL).  The builder writes into a caller buffer and fails with
 * -ENOBUFS when the reply would not fit.  Integers on the wire are
 * big-endian; IPv4 addresses in the structures below are in host byte order
 * (10.99.0.1 is 0x0a630001).
 *
 * References: RFC 951 and RFC 2131 (BOOTP/DHCP message), RFC 2132 (options),
 * RFC 3396 (long options split in several pieces), RFC 3004 (user class),
 * RFC 4578 (client architecture 93, NDI 94, UUID 97), the PXE 2.1
 * specification (vendor options 43) and RFC 3046 (relay agent 82).
 */
#ifndef LANROOT_DHCP_PROTO_H
#define LANROOT_DHCP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the fixed header (RFC 2131 section 2, figure 1) -------------------- */

#define DHCP_OP_BOOTREQUEST		1U
#define DHCP_OP_BOOTREPLY		2U
#define DHCP_HTYPE_ETHER		1U	/* RFC 1700 hardware type */
#define DHCP_ETHER_LEN			6U
#define DHCP_FLAG_BROADCAST		0x8000U

#define DHCP_CHADDR_LEN			16
#define DHCP_SNAME_LEN			64
#define DHCP_FILE_LEN			128
/* field offsets */
#define DHCP_OFF_SNAME			44
#define DHCP_OFF_FILE			108
#define DHCP_OFF_COOKIE			236
#define DHCP_OFF_OPTIONS		240
#define DHCP_HEADER_LEN			236	/* up to and including file */
#define DHCP_MAGIC_COOKIE		0x63825363U	/* RFC 2131 section 3 */
/** Shortest message we parse: header and magic cookie, no options. */
#define DHCP_MIN_LEN			DHCP_OFF_OPTIONS
/** BOOTP's minimum message (RFC 951: 64-byte vendor area); replies are
 * padded to this length since some relays and clients drop shorter ones. */
#define BOOTP_MIN_LEN			300
/** Largest message we parse (a UDP payload cannot be longer). */
#define DHCP_MAX_LEN			65535
/** Option 57's default and minimum (RFC 2131 section 2: 576-byte datagram). */
#define DHCP_DEFAULT_MAX_SIZE		576U
/** IPv4 and UDP headers, which option 57 counts (RFC 2132 section 9.10). */
#define DHCP_IP_UDP_OVERHEAD		28U

/* ---- option codes (RFC 2132 and later) ---------------------------------- */

#define DHCP_OPT_PAD			0U
#define DHCP_OPT_SUBNET_MASK		1U
#define DHCP_OPT_ROUTER			3U
#define DHCP_OPT_DNS			6U
#define DHCP_OPT_HOSTNAME		12U
#define DHCP_OPT_DOMAIN_NAME		15U
#define DHCP_OPT_VENDOR			43U	/* vendor specific (PXE) */
#define DHCP_OPT_REQUESTED_IP		50U
#define DHCP_OPT_LEASE_TIME		51U
#define DHCP_OPT_OVERLOAD		52U
#define DHCP_OPT_MSG_TYPE		53U
#define DHCP_OPT_SERVER_ID		54U
#define DHCP_OPT_PARAM_LIST		55U
#define DHCP_OPT_MESSAGE		56U
#define DHCP_OPT_MAX_SIZE		57U
#define DHCP_OPT_RENEWAL_TIME		58U
#define DHCP_OPT_REBINDING_TIME		59U
#define DHCP_OPT_VENDOR_CLASS		60U
#define DHCP_OPT_CLIENT_ID		61U
#define DHCP_OPT_TFTP_SERVER		66U
#define DHCP_OPT_BOOTFILE		67U
#define DHCP_OPT_USER_CLASS		77U	/* RFC 3004 */
#define DHCP_OPT_RELAY_AGENT		82U	/* RFC 3046 */
#define DHCP_OPT_CLIENT_ARCH		93U	/* RFC 4578 */
#define DHCP_OPT_CLIENT_NDI		94U	/* RFC 4578 */
#define DHCP_OPT_CLIENT_UUID		97U	/* RFC 4578 */
#define DHCP_OPT_IPXE			175U	/* iPXE encapsulated options */
#define DHCP_OPT_END			255U

/* ---- option 52 values (RFC 2132 section 9.3) ---------------------------- */

#define DHCP_OVERLOAD_FILE		1U
#define DHCP_OVERLOAD_SNAME		2U
#define DHCP_OVERLOAD_BOTH		3U

/* ---- option 53 values (RFC 2132 section 9.6) ---------------------------- */

#define DHCP_DISCOVER			1U
#define DHCP_OFFER			2U
#define DHCP_REQUEST			3U
#define DHCP_DECLINE			4U
#define DHCP_ACK			5U
#define DHCP_NAK			6U
#define DHCP_RELEASE			7U
#define DHCP_INFORM			8U

/* ---- option 93 values (RFC 4578 section 2.1, IANA registry) ------------- */

#define DHCP_ARCH_X86_BIOS		0x0000U
#define DHCP_ARCH_EFI_IA32		0x0006U
#define DHCP_ARCH_EFI_X64		0x0007U
#define DHCP_ARCH_EFI_BC		0x0009U
#define DHCP_ARCH_EFI_ARM32		0x000aU
#define DHCP_ARCH_EFI_ARM64		0x000bU
#define DHCP_ARCH_EFI_X64_HTTP		0x0010U
#define DHCP_ARCH_EFI_ARM64_HTTP	0x0013U

/* ---- option lengths fixed by the specifications ------------------------- */

#define DHCP_MSG_TYPE_LEN		1
#define DHCP_ADDR_LEN			4	/* options 50, 54 */
#define DHCP_MAX_SIZE_LEN		2	/* option 57 */
#define DHCP_CLIENT_ID_MIN_LEN		2	/* option 61 */
#define DHCP_ARCH_LEN			2	/* each option 93 value */
#define DHCP_NDI_LEN			3	/* option 94: type, major, minor */
#define DHCP_UUID_TYPE			0U	/* option 97's first byte */
#define DHCP_UUID_LEN			16
#define DHCP_OPT_MAX_PIECE		255	/* longest piece of one option */

/* ---- PXE vendor options in option 43 (PXE 2.1, section 2.4) ------------- */

#define PXE_OPT_DISCOVERY_CONTROL	6U
#define PXE_OPT_BOOT_SERVERS		8U
#define PXE_OPT_BOOT_MENU		9U
#define PXE_OPT_MENU_PROMPT		10U
#define PXE_OPT_BOOT_ITEM		71U
/* discovery control bits */
#define PXE_DISC_NO_BROADCAST		(1U << 0)
#define PXE_DISC_NO_MULTICAST		(1U << 1)
#define PXE_DISC_SERVER_LIST_ONLY	(1U << 2)
#define PXE_DISC_USE_BOOTFILE		(1U << 3)
#define PXE_BOOT_ITEM_LEN		4	/* type, layer (16 bits each) */
/** The vendor classes of the PXE and UEFI HTTP boot clients. */
#define PXE_VENDOR_CLASS		"PXEClient"
#define HTTP_VENDOR_CLASS		"HTTPClient"
/** iPXE's user class (option 77). */
#define IPXE_USER_CLASS			"iPXE"

/* ---- our limits --------------------------------------------------------- */

/** Size of the message buffers the parser fills in. */
#define DHCP_MSG_LEN			160
/** Most user classes of option 77 we look at. */
#define DHCP_MAX_USER_CLASSES		8

/** An option's value after RFC 3396 joining: inside struct dhcp_request. */
struct dhcp_bytes {
	const uint8_t *ptr;	/* first byte (NULL when absent) */
	uint32_t len;		/* number of bytes (may be 0) */
};

/** The fixed header of a message, as on the wire (addresses host order). */
struct dhcp_header {
	uint8_t op;		/* DHCP_OP_* */
	uint8_t htype;		/* DHCP_HTYPE_* */
	uint8_t hlen;		/* chaddr bytes that count, <= DHCP_CHADDR_LEN */
	uint8_t hops;
	uint32_t xid;		/* transaction id */
	uint16_t secs;
	uint16_t flags;		/* DHCP_FLAG_BROADCAST */
	uint32_t ciaddr;	/* client address (renewing, PXE 4011) */
	uint32_t yiaddr;	/* "your" address */
	uint32_t siaddr;	/* next server */
	uint32_t giaddr;	/* relay agent */
	uint8_t chaddr[DHCP_CHADDR_LEN];
	uint8_t sname[DHCP_SNAME_LEN];	/* raw; options if overloaded */
	uint8_t file[DHCP_FILE_LEN];	/* raw; options if overloaded */
};

/**
 * struct dhcp_request - what a server needs from a client's message.
 *
 * Every option is joined per RFC 3396 into @data; struct dhcp_bytes members
 * point there (never into the parsed buffer), so the structure stays valid
 * after the packet buffer is reused.  It is large (about 70 KiB): keep it in
 * a context structure or on the heap rather than on a small stack.
 */
struct dhcp_request {
	struct dhcp_header hdr;
	uint8_t msg_type;		/* option 53; 0 for BOOTP */
	uint8_t overload;		/* option 52, or 0 */
	bool has_end;			/* the options field had an end option */
	bool has_requested_ip;
	uint32_t requested_ip;		/* option 50 */
	bool has_server_id;
	uint32_t server_id;		/* option 54 */
	uint16_t max_size;		/* option 57, or DHCP_DEFAULT_MAX_SIZE;
					 * never below that default */
	struct dhcp_bytes client_id;	/* option 61 */
	struct dhcp_bytes param_list;	/* option 55 */
	struct dhcp_bytes vendor_class;	/* option 60 */
	struct dhcp_bytes user_class;	/* option 77, raw */
	uint32_t nr_user_classes;	/* entries in user_classes */
	struct dhcp_bytes user_classes[DHCP_MAX_USER_CLASSES];
	bool has_arch;
	uint16_t arch;			/* option 93, first value: DHCP_ARCH_* */
	bool has_ndi;
	uint8_t ndi[DHCP_NDI_LEN];	/* option 94: type, major, minor */
	bool has_uuid;
	uint8_t uuid[DHCP_UUID_LEN];	/* option 97 after the type byte */
	struct dhcp_bytes vendor;	/* option 43, raw */
	bool has_boot_item;		/* PXE sub-option 71 in option 43 */
	uint16_t boot_item_type;
	uint16_t boot_item_layer;
	struct dhcp_bytes ipxe;		/* option 175, raw */
	struct dhcp_bytes relay_agent;	/* option 82, raw */
	bool is_pxe;			/* vendor class starts "PXEClient" */
	bool is_http;			/* vendor class starts "HTTPClient" */
	bool is_ipxe;			/* user class "iPXE" or option 175 */

	/* all options, joined: present[code], value at data + off[code] */
	bool present[256];
	uint32_t off[256];
	uint32_t len[256];
	uint8_t data[DHCP_MAX_LEN];
};

/**
 * dhcp_parse_request() - parse a BOOTP/DHCP message.
 * @buf: the UDP payload
 * @len: its length
 * @req: filled in on success (and partly on failure)
 * @msg: message buffer (DHCP_MSG_LEN bytes) or NULL
 *
 * Checks the fixed header (hlen <= 16, magic cookie), walks the options
 * field and, when option 52 says so, the file and then the sname field
 * (RFC 3396 order), joins options that appear several times, and checks the
 * options with a fixed shape (50 52 53 54 57 61 93 94 97; 43 when the vendor
 * class is PXEClient).  A missing end option is accepted: RFC 2131 requires
 * one, but the packet length bounds the field anyway and some BOOTP clients
 * omit it; @req->has_end tells.  BOOTREPLY messages parse too (tests).
 *
 * Return: 0, -EINVAL for a malformed message, -EMSGSIZE when @len is over
 * DHCP_MAX_LEN.
 */
int dhcp_parse_request(const uint8_t *buf, size_t len,
		       struct dhcp_request *req, char *msg);

/**
 * dhcp_get_option() - the joined value of an option of a parsed message.
 * @req: parsed message
 * @code: option code (1-254)
 * @out: set to the value (ptr inside @req) when present
 * Return: true if the option was present.
 */
bool dhcp_get_option(const struct dhcp_request *req, uint8_t code,
		     struct dhcp_bytes *out);

/**
 * dhcp_param_requested() - whether the client listed @code in option 55.
 * @req: parsed message
 * @code: option code
 * Return: true if listed.
 */
bool dhcp_param_requested(const struct dhcp_request *req, uint8_t code);

/**
 * dhcp_find_subopt() - find a sub-option in an encapsulated option (43, 82,
 * 175: code, length, value; pad 0 and end 255 as in the main field).
 * @buf: the encapsulated option's value
 * @len: its length
 * @code: sub-option wanted
 * @out: set to its value (first occurrence) when found
 * Return: 1 if found, 0 if not, -EINVAL if a sub-option runs past the end.
 */
int dhcp_find_subopt(const uint8_t *buf, size_t len, uint8_t code,
		     struct dhcp_bytes *out);

/* ---- building replies --------------------------------------------------- */

/** A reply under construction; see dhcp_build_start(). */
struct dhcp_builder {
	uint8_t *buf;		/* caller buffer */
	size_t limit;		/* bytes we may use: min(buffer, client max) */
	size_t len;		/* bytes written so far */
	bool finished;		/* end option written */
};

/**
 * dhcp_build_start() - write the fixed header, the magic cookie and option
 * 53 (which RFC 2131 does not require first, but some clients expect it).
 * @b: builder to set up
 * @buf: output buffer
 * @cap: its size
 * @max_size: the client's option 57 (struct dhcp_request.max_size), or 0
 *	      for DHCP_DEFAULT_MAX_SIZE; counts the IP and UDP headers
 * @hdr: header fields (op, htype, hlen, xid, flags, addresses, chaddr,
 *	 sname, file are copied as given)
 * @msg_type: DHCP_OFFER, DHCP_ACK, ...
 * Return: 0, -EINVAL for hlen > 16 or a max size below the default,
 * -ENOBUFS if not even that fits.
 */
int dhcp_build_start(struct dhcp_builder *b, uint8_t *buf, size_t cap,
		     uint16_t max_size, const struct dhcp_header *hdr,
		     uint8_t msg_type);

/**
 * dhcp_build_option() - append an option, split into pieces of at most 255
 * bytes per RFC 3396 when longer.
 * @b: builder
 * @code: option code (not pad, end or 53)
 * @data: value
 * @len: its length (0 allowed)
 * Return: 0, -EINVAL for a bad code or after dhcp_build_finish(), -ENOBUFS
 * if the option and the end option would not fit (nothing is written).
 */
int dhcp_build_option(struct dhcp_builder *b, uint8_t code, const void *data,
		      size_t len);

/** dhcp_build_u8() - append a 1-byte option.  Return: as dhcp_build_option() */
int dhcp_build_u8(struct dhcp_builder *b, uint8_t code, uint8_t v);
/** dhcp_build_u16() - append a 2-byte option.  Return: as dhcp_build_option() */
int dhcp_build_u16(struct dhcp_builder *b, uint8_t code, uint16_t v);
/** dhcp_build_u32() - append a 4-byte option (also addresses, host order).
 * Return: as dhcp_build_option() */
int dhcp_build_u32(struct dhcp_builder *b, uint8_t code, uint32_t v);
/** dhcp_build_string() - append a NUL-terminated string's bytes (without the
 * NUL).  Return: as dhcp_build_option() */
int dhcp_build_string(struct dhcp_builder *b, uint8_t code, const char *s);

/**
 * dhcp_build_finish() - append the end option and pad with zeros to
 * BOOTP_MIN_LEN.
 * @b: builder
 * Return: the message length, or -ENOBUFS (-EINVAL if called twice).
 */
int dhcp_build_finish(struct dhcp_builder *b);

/* ---- PXE option 43 contents --------------------------------------------- */

/**
 * dhcp_subopt_append() - append one sub-option (code, length, value) to an
 * encapsulated option being built in @buf.
 * @buf: buffer
 * @cap: its size
 * @pos: bytes used so far; advanced on success
 * @code: sub-option code
 * @data: value
 * @len: its length, at most 255
 * Return: 0, -EINVAL for len > 255, -ENOBUFS.
 */
int dhcp_subopt_append(uint8_t *buf, size_t cap, size_t *pos, uint8_t code,
		       const void *data, size_t len);

/** pxe_put_discovery_control() - PXE sub-option 6 (PXE_DISC_* bits).
 * Return: as dhcp_subopt_append() */
int pxe_put_discovery_control(uint8_t *buf, size_t cap, size_t *pos,
			      uint8_t bits);

/**
 * pxe_put_boot_server() - PXE sub-option 8 with one server type and its
 * addresses.
 * @buf: buffer
 * @cap: its size
 * @pos: bytes used so far; advanced
 * @type: boot server type (0x8000 and up: vendor-defined)
 * @addrs: IPv4 addresses, host order
 * @nr_addrs: how many (1-63)
 * Return: as dhcp_subopt_append(); -EINVAL for a bad count.
 */
int pxe_put_boot_server(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
			const uint32_t *addrs, size_t nr_addrs);

/** pxe_put_boot_menu() - PXE sub-option 9 with one item: @type, @text.
 * Return: as dhcp_subopt_append(); -EINVAL if the text is too long. */
int pxe_put_boot_menu(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
		      const char *text);

/** pxe_put_menu_prompt() - PXE sub-option 10: @timeout seconds, @prompt.
 * Return: as dhcp_subopt_append(); -EINVAL if the prompt is too long. */
int pxe_put_menu_prompt(uint8_t *buf, size_t cap, size_t *pos,
			uint8_t timeout, const char *prompt);

/** pxe_put_boot_item() - PXE sub-option 71: boot server @type, @layer.
 * Return: as dhcp_subopt_append() */
int pxe_put_boot_item(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
		      uint16_t layer);

/** pxe_put_end() - the end byte (255) that closes option 43's contents.
 * Return: 0 or -ENOBUFS. */
int pxe_put_end(uint8_t *buf, size_t cap, size_t *pos);

#endif /* LANROOT_DHCP_PROTO_H */
