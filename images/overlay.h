/* The copy-on-write overlay engine: one client's private writable view of
 * an immutable base image.
 *
 * On disk an overlay is a directory with two files:
 *   map   header (magic, format version, cluster size, virtual size, the
 *         identity of the base) + one 64-bit entry per virtual cluster:
 *         0 = read from the base, 1 = reads as zeros, n ≥ 2 = cluster
 *         n - 2 of the data file.
 *   data  the clusters this client has written.
 *
 * Crash rule (DESIGN.md): data reaches disk before the map entry that points
 * to it.  New clusters are written to free space in "data"; their map
 * entries stay in memory until overlay_flush() (or a FUA write) has synced
 * the data and then writes and syncs the map.  A cluster freed by trim or
 * zero is not reused until the map that no longer points to it is on disk.
 * So after a crash (SIGKILL or power loss) every flushed write is there and
 * every cluster reads as the new data, the old data or the base — never
 * anything else.  The free list is rebuilt from the map at open.
 *
 * Thread safety: calls on one overlay may come from several threads; the
 * handle serialises what must be serialised (reads run concurrently).
 */
#ifndef LR_OVERLAY_H
#define LR_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#define OVERLAY_CLUSTER_MIN 4096u
#define OVERLAY_CLUSTER_MAX (1024u * 1024u)
#define OVERLAY_CLUSTER_DEFAULT 4096u
#define OVERLAY_BASE_ID_MAX 160	/* "IMAGE@VERSION:SHA256" fits: 63 + 1 + 10 + 1 + 64 */

/* overlay_open() flags */
#define OVERLAY_CREATE   0x1	/* create the overlay if it does not exist */
#define OVERLAY_READONLY 0x2	/* no writes (capture, inspection) */

/* overlay_write()/overlay_zero() flags */
#define OVERLAY_FUA      0x1	/* durable before return (as NBD FUA) */
#define OVERLAY_NO_HOLE  0x2	/* zero: allocate zeros, do not unmap */

struct overlay;

/**
 * overlay_open() - open the overlay in @dir over the base image @base_path.
 * @base_id:      identity of the base ("IMAGE@VERSION:DIGEST"); an overlay
 *                made over another base is refused with -ESTALE, so no
 *                client ever reads its writes over the wrong image.
 * @cluster_size: for a new overlay (0 = default); an existing one keeps its.
 * Return: 0, or -errno: -ENOENT (no overlay and no OVERLAY_CREATE),
 * -ESTALE (other base), -EBADMSG (not an overlay / damaged header).
 *
 * Also (added by the overlay engine): -EBADMSG too for a damaged entry
 * table (truncated map, an entry pointing past the end of "data", two
 * entries sharing a data cluster); -ESTALE when the base's size is not the
 * one the overlay was made for; -EBUSY when another read-write handle (in
 * any process) has the overlay open — there is one writer at a time, while
 * read-only handles may open it alongside; -EINVAL for a bad cluster size
 * with OVERLAY_CREATE, a base identity longer than OVERLAY_BASE_ID_MAX, or
 * OVERLAY_CREATE together with OVERLAY_READONLY.
 */
int overlay_open(const char *dir, const char *base_path, const char *base_id,
		 uint32_t cluster_size, unsigned flags, struct overlay **out);

/**
 * overlay_close() - release the overlay.  Unflushed writes are NOT made
 * durable by closing (call overlay_flush() first); they stay in the data
 * file and are lost or kept by the crash rule.  Return 0 or -errno.
 */
int overlay_close(struct overlay *ov);

/** overlay_size() - virtual size in bytes (the size of the base). */
uint64_t overlay_size(const struct overlay *ov);
uint32_t overlay_cluster_size(const struct overlay *ov);

/**
 * overlay_read()/overlay_write() - any offset and length within the size;
 * -EINVAL outside it, -EROFS for writes on a read-only handle.
 * A write that covers part of a cluster not yet in the overlay copies the
 * rest of that cluster from the base first.  Return 0 or -errno.
 */
int overlay_read(struct overlay *ov, void *buf, size_t len, uint64_t off);
int overlay_write(struct overlay *ov, const void *buf, size_t len, uint64_t off,
		  unsigned flags);

/**
 * overlay_read_cached() - overlay_read() that never waits: -EAGAIN when a
 * writer holds the overlay or part of the range is not in the page cache
 * (then call overlay_read() from a thread that may block).  For an event
 * loop that answers cached reads itself.
 */
int overlay_read_cached(struct overlay *ov, void *buf, size_t len, uint64_t off);

/**
 * overlay_flush() - make every write so far durable.  0 or -errno.
 * After a failed sync the handle refuses every later change and flush
 * with the same error (the kernel may have dropped what it could not
 * write); close it and reopen.  On a read-only handle: 0.
 */
int overlay_flush(struct overlay *ov);

/**
 * overlay_trim() - the range may read back as anything the block layer
 * allows; here: whole clusters read as zeros and their space is freed,
 * partial clusters are left as they are.  0 or -errno.
 */
int overlay_trim(struct overlay *ov, uint64_t off, uint64_t len);

/**
 * overlay_zero() - the range reads as zeros; whole clusters are unmapped
 * (or, with OVERLAY_NO_HOLE, allocated and written with zeros), partial
 * ones written.  OVERLAY_FUA as for writes.  0 or -errno.
 */
int overlay_zero(struct overlay *ov, uint64_t off, uint64_t len, unsigned flags);

/* What a run of clusters holds (for NBD base:allocation and capture). */
enum overlay_state {
	OVERLAY_BASE = 0,	/* reads from the base */
	OVERLAY_ZERO,		/* reads as zeros */
	OVERLAY_DATA,		/* this client's data */
};

struct overlay_extent {
	uint64_t off;		/* byte offset in the virtual disk */
	uint64_t len;		/* bytes */
	enum overlay_state state;
};

/**
 * overlay_map() - describe [@off, @off + @len) as up to @max extents of
 * like clusters, in order.  Return: the number of extents (≤ @max, less
 * than the range if @max ran out), or -errno.
 */
int overlay_map(struct overlay *ov, uint64_t off, uint64_t len,
		struct overlay_extent *ext, size_t max);

/**
 * overlay_base_range() - whether all of [@off, @off + @len) reads from the
 * base now (no cluster of it written, trimmed or zeroed), without waiting:
 * 1 yes, 0 no, -EAGAIN when a writer holds the overlay, -EINVAL outside it.
 * (blockd then sends those bytes straight from the base file.)
 */
int overlay_base_range(struct overlay *ov, uint64_t off, uint64_t len);

struct overlay_stats {
	uint64_t clusters;	/* virtual clusters */
	uint64_t data;		/* clusters holding client data */
	uint64_t zero;		/* clusters that read as zeros */
	uint64_t data_bytes;	/* size of the data file on disk */
};
void overlay_stats(const struct overlay *ov, struct overlay_stats *out);

/**
 * overlay_reset() - throw away the overlay in @dir (both files removed,
 * the directory kept).  Refused with -EBUSY while a read-write handle (in
 * any process, e.g. lanroot-blockd) has it open.
 * Return 0 or -errno (no overlay is not an error).
 */
int overlay_reset(const char *dir);

/**
 * overlay_capture() - write the merged image (base + overlay) to @dstfd,
 * which must already hold a copy of the base: only clusters this overlay
 * changed are written (zeros become holes).  Return 0 or -errno.
 */
struct progress;
int overlay_capture(struct overlay *ov, int dstfd, const struct progress *p);

#endif
