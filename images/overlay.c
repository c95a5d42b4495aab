/* The copy-on-write overlay engine (see overlay.h for the on-disk format
 * and the crash rule).
 *
 * Layout of the "map" file, all integers little-endian:
 *
 *   offset  size  field
 *        0     8  magic "LROVMAP1"
 *        8     4  format version (MAP_VERSION)
 *       12     4  cluster size in bytes (power of two)
 *       16     8  virtual size in bytes (the size of the base)
 *       24     8  number of virtual clusters
 *       32     4  byte offset of the entry table (MAP_HEADER_SIZE)
 *       36     4  length of the base identity
 *       40   160  base identity (OVERLAY_BASE_ID_MAX bytes, zero padded)
 *      200     4  reserved, zero
 *      204     4  CRC-32 of bytes 0..203
 *      ...        zero padding up to MAP_HEADER_SIZE
 *     4096  8*N  one entry per virtual cluster: 0 base, 1 zero, n ≥ 2 data
 *                cluster n - 2
 *
 * The header is written once, when the overlay is created (temporary file,
 * fsync, rename, fsync of the directory), and never again.  Entries are
 * rewritten in place by overlay_flush(), a map page (512 entries) at a time;
 * an entry never straddles a sector, so a torn page write still leaves every
 * entry either old or new.
 *
 * In memory a handle holds the whole entry table (8 bytes per cluster), a
 * bitmap of map pages changed since the last flush, the list of free data
 * clusters and the list of clusters unmapped since the last flush ("pending
 * free"), which join the free list only once a flush has put a map that no
 * longer points at them on disk.
 *
 * Locking: a read/write lock guards the map and the lists (reads shared;
 * writes, trims and map changes exclusive).  overlay_flush() holds a
 * separate mutex and takes the read/write lock only to snapshot and to
 * finish, so reads and writes go on while the data and the map are synced.
 * Between processes: a read-write handle holds an exclusive flock on the
 * overlay directory (one writer; creation happens under it too).
 *
 * Opening read-write first fdatasyncs the map (a writer that was killed may
 * have left map pages written but not yet synced, and the clusters they
 * freed must not be reused before they are durable), then drops data
 * clusters past the last mapped one (written, never flushed).
 */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "overlay.h"
#include "progress.h"

#define MAP_FILE "map"
#define MAP_TMP_FILE "map.tmp"
#define DATA_FILE "data"

#define MAP_MAGIC "LROVMAP1"
#define MAP_MAGIC_LEN 8
#define MAP_VERSION 1u
#define MAP_HEADER_SIZE 4096u

/* Byte offsets of the header fields. */
#define HDR_OFF_MAGIC 0
#define HDR_OFF_VERSION 8
#define HDR_OFF_CLUSTER 12
#define HDR_OFF_SIZE 16
#define HDR_OFF_CLUSTERS 24
#define HDR_OFF_TABLE 32
#define HDR_OFF_IDLEN 36
#define HDR_OFF_ID 40
#define HDR_OFF_RESERVED (HDR_OFF_ID + OVERLAY_BASE_ID_MAX)
#define HDR_OFF_CRC (HDR_OFF_RESERVED + 4)
#define HDR_USED (HDR_OFF_CRC + 4)

/* Map entry values. */
#define ENTRY_BASE 0u
#define ENTRY_ZERO 1u
#define ENTRY_DATA0 2u		/* entry of data cluster 0 */

#define ENTRY_SIZE 8u
#define MAP_PAGE_SIZE 4096u
#define ENTRIES_PER_PAGE (MAP_PAGE_SIZE / ENTRY_SIZE)

/* Capture copies data runs in chunks of at most this many bytes. */
#define CAPTURE_CHUNK (1024u * 1024u)

#define FILE_MODE 0600
#define DIR_MODE 0700

/* A growable array of data cluster numbers. */
struct clist {
	uint64_t *v;		/* the cluster numbers */
	size_t n;		/* how many are in use */
	size_t cap;		/* how many fit */
};

struct overlay {
	char *dir;		/* overlay directory */
	int dir_fd;		/* the directory, locked by a writer; or -1 */
	int base_fd;		/* base image, read only */
	int map_fd;		/* map file */
	int data_fd;		/* data file */
	bool readonly;		/* opened with OVERLAY_READONLY */
	uint32_t cluster_size;	/* bytes per cluster */
	unsigned cluster_shift;	/* log2(cluster_size) */
	uint64_t size;		/* virtual size in bytes */
	uint64_t clusters;	/* virtual clusters */
	uint64_t *map;		/* entries, host byte order */
	uint64_t *dirty;	/* bitmap: map pages changed since last flush */
	uint64_t *loaded;	/* bitmap: map pages read at open (map_load) */
	uint64_t map_pages;	/* pages in the entry table */
	uint64_t dirty_pages;	/* bits set in @dirty */
	bool data_dirty;	/* data file written since last flush */
	uint64_t data_clusters;	/* clusters in the data file (next append) */
	struct clist free_list;	/* data clusters free for reuse */
	struct clist pending;	/* unmapped since the last flush: not reusable */
	uint64_t n_data;	/* virtual clusters mapped to data */
	uint64_t n_zero;	/* virtual clusters that read as zeros */
	uint8_t *bounce;	/* one cluster, for partial writes of new clusters */
	uint8_t *zeros;		/* one cluster of zeros */
	int failed;		/* sticky -errno after a failed sync */
	pthread_rwlock_t lock;	/* guards everything above that changes */
	pthread_mutex_t flush_lock; /* one flush at a time */
};

/**
 * crc32_ieee() - CRC-32 (IEEE 802.3, reflected) of @len bytes at @p.
 * Return: the checksum.
 */
static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
	}
	return ~crc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/**
 * clist_push() - append @c to @l.  Return 0 or -ENOMEM.
 */
static int clist_push(struct clist *l, uint64_t c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = c;
	return 0;
}

/**
 * clist_move() - append every cluster of @from to @to, in reverse order
 * (clusters are taken from the end, so they come out in the order they
 * were freed), and empty @from.
 * Return 0 or -ENOMEM (then @from is left as it was).
 */
static int clist_move(struct clist *to, struct clist *from)
{
	if (to->n + from->n > to->cap) {
		size_t cap = to->n + from->n;
		uint64_t *v = realloc(to->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		to->v = v;
		to->cap = cap;
	}
	for (size_t i = from->n; i-- > 0;)
		to->v[to->n++] = from->v[i];
	from->n = 0;
	return 0;
}

/** valid_cluster_size() - true if @cs is a power of two in range. */
static bool valid_cluster_size(uint32_t cs)
{
	return cs >= OVERLAY_CLUSTER_MIN && cs <= OVERLAY_CLUSTER_MAX &&
	       is_power_of_two(cs);
}

/** entry_state() - the state a map entry stands for. */
static enum overlay_state entry_state(uint64_t e)
{
	if (e == ENTRY_BASE)
		return OVERLAY_BASE;
	if (e == ENTRY_ZERO)
		return OVERLAY_ZERO;
	return OVERLAY_DATA;
}

/** cluster_vlen() - bytes of virtual cluster @c inside the virtual size. */
static uint32_t cluster_vlen(const struct overlay *ov, uint64_t c)
{
	uint64_t start = c << ov->cluster_shift;
	uint64_t left = ov->size - start;

	return left < ov->cluster_size ? (uint32_t)left : ov->cluster_size;
}

/** check_range() - 0 if [@off, @off + @len) lies within the overlay. */
static int check_range(const struct overlay *ov, uint64_t off, uint64_t len)
{
	if (off > ov->size || len > ov->size - off)
		return -EINVAL;
	return 0;
}

/**
 * base_read() - read @len bytes of the base at @off; whatever lies past
 * the end of the base file (it should not: the size was checked at open)
 * reads as zeros.  Return 0 or -errno.
 */
static int base_read(struct overlay *ov, uint8_t *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pread(ov->base_fd, buf, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			memset(buf, 0, len);
			return 0;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * map_set() - change the entry of virtual cluster @c to @e: keep the
 * counters, mark the map page dirty, and put a data cluster that is no
 * longer mapped on the pending-free list.  Caller holds the write lock.
 * Return 0 or -ENOMEM (the entry is changed even then; the old data
 * cluster is merely leaked until the next open).
 */
static int map_set(struct overlay *ov, uint64_t c, uint64_t e)
{
	uint64_t old = ov->map[c];
	uint64_t page = c / ENTRIES_PER_PAGE;
	uint64_t bit = UINT64_C(1) << (page % 64);
	int rc = 0;

	if (old == e)
		return 0;
	if (old == ENTRY_ZERO)
		ov->n_zero--;
	else if (old >= ENTRY_DATA0) {
		ov->n_data--;
		rc = clist_push(&ov->pending, old - ENTRY_DATA0);
	}
	if (e == ENTRY_ZERO)
		ov->n_zero++;
	else if (e >= ENTRY_DATA0)
		ov->n_data++;
	ov->map[c] = e;
	if (!(ov->dirty[page / 64] & bit)) {
		ov->dirty[page / 64] |= bit;
		ov->dirty_pages++;
	}
	return rc;
}

/**
 * cluster_alloc() - take a data cluster: the lowest-numbered free one, or
 * a new one at the end of the data file.  Caller holds the write lock.
 */
static uint64_t cluster_alloc(struct overlay *ov)
{
	if (ov->free_list.n > 0)
		return ov->free_list.v[--ov->free_list.n];
	return ov->data_clusters++;
}

/**
 * cluster_unalloc() - give back a cluster from cluster_alloc() that was
 * never mapped (its write failed).  Nothing on disk points at it.
 */
static void cluster_unalloc(struct overlay *ov, uint64_t pc)
{
	if (clist_push(&ov->free_list, pc) < 0)
		log_warn("overlay %s: out of memory: data cluster %" PRIu64
			 " leaked until the next open", ov->dir, pc);
}

/* A run of cluster pieces written with one pwrite: virtual clusters
 * vc0 .. vc0 + count - 1 at data clusters pc0 .. pc0 + count - 1. */
struct write_run {
	uint64_t vc0;		/* first virtual cluster */
	uint64_t pc0;		/* its data cluster */
	uint64_t count;		/* clusters in the run */
	uint64_t poff;		/* byte offset in the data file */
	const uint8_t *src;	/* bytes to write */
	size_t len;		/* how many */
};

/**
 * run_commit() - write a run and map the clusters in it that were newly
 * allocated; if the write fails, give those clusters back.
 * Return 0 or -errno.
 */
static int run_commit(struct overlay *ov, struct write_run *r)
{
	int rc;

	if (r->count == 0)
		return 0;
	ov->data_dirty = true;
	rc = pwrite_full(ov->data_fd, r->src, r->len, r->poff);
	for (uint64_t i = 0; i < r->count; i++) {
		uint64_t vc = r->vc0 + i;

		if (ov->map[vc] >= ENTRY_DATA0)
			continue;	/* written in place */
		if (rc < 0)
			cluster_unalloc(ov, r->pc0 + i);
		else
			map_set(ov, vc, r->pc0 + i + ENTRY_DATA0);
	}
	if (rc < 0)
		log_err("overlay %s: cannot write data: %s", ov->dir, strerror(-rc));
	r->count = 0;
	return rc;
}

/**
 * write_new_partial() - write a piece of a cluster that is not yet in the
 * overlay: allocate a data cluster, fill it from the base (or zeros), lay
 * the piece over it and write the whole cluster.  Caller holds the write
 * lock.  Return 0 or -errno.
 */
static int write_new_partial(struct overlay *ov, uint64_t vc, uint32_t coff,
			     const uint8_t *src, uint32_t len)
{
	uint32_t cs = ov->cluster_size;
	uint32_t vlen = cluster_vlen(ov, vc);
	uint64_t pc;
	int rc;

	memset(ov->bounce, 0, cs);
	if (ov->map[vc] == ENTRY_BASE) {
		rc = base_read(ov, ov->bounce, vlen, vc << ov->cluster_shift);
		if (rc < 0) {
			log_err("overlay %s: cannot read base: %s", ov->dir, strerror(-rc));
			return rc;
		}
	}
	memcpy(ov->bounce + coff, src, len);
	pc = cluster_alloc(ov);
	ov->data_dirty = true;
	rc = pwrite_full(ov->data_fd, ov->bounce, cs, pc << ov->cluster_shift);
	if (rc < 0) {
		log_err("overlay %s: cannot write data: %s", ov->dir, strerror(-rc));
		cluster_unalloc(ov, pc);
		return rc;
	}
	map_set(ov, vc, pc + ENTRY_DATA0);
	return 0;
}

/**
 * write_locked() - overlay_write() with the range checked and the write
 * lock held.  Pieces that can go straight from @buf to the data file
 * (clusters already mapped, whole new clusters) are gathered into runs of
 * consecutive data clusters and written with one pwrite per run.
 * Return 0 or -errno.
 */
static int write_locked(struct overlay *ov, const uint8_t *buf, size_t len,
			uint64_t off)
{
	struct write_run run = { 0 };
	uint32_t cs = ov->cluster_size;
	int rc = 0;

	while (len > 0) {
		uint64_t vc = off >> ov->cluster_shift;
		uint32_t coff = (uint32_t)(off & (cs - 1));
		uint32_t piece = cs - coff;
		uint64_t e = ov->map[vc];
		uint64_t pc;

		if (piece > len)
			piece = (uint32_t)len;
		if (e < ENTRY_DATA0 && !(coff == 0 && piece == cs)) {
			rc = run_commit(ov, &run);
			if (rc < 0)
				goto err;
			rc = write_new_partial(ov, vc, coff, buf, piece);
			if (rc < 0)
				goto err;
		} else {
			pc = e >= ENTRY_DATA0 ? e - ENTRY_DATA0 : cluster_alloc(ov);
			if (run.count > 0 && (pc != run.pc0 + run.count ||
					      vc != run.vc0 + run.count)) {
				rc = run_commit(ov, &run);
				if (rc < 0) {
					if (e < ENTRY_DATA0)
						cluster_unalloc(ov, pc);
					goto err;
				}
			}
			if (run.count == 0) {
				run.vc0 = vc;
				run.pc0 = pc;
				run.poff = (pc << ov->cluster_shift) + coff;
				run.src = buf;
				run.len = 0;
			}
			run.count++;
			run.len += piece;
		}
		buf += piece;
		off += piece;
		len -= piece;
	}
	rc = run_commit(ov, &run);
err:
	return rc;
}

/**
 * read_locked() - overlay_read() with the range checked and (at least)
 * the read lock held.  Runs of like clusters (base, zeros, or consecutive
 * data clusters) are read with one pread each.  Return 0 or -errno.
 */
static int read_locked(struct overlay *ov, uint8_t *buf, size_t len, uint64_t off,
		       bool cached)
{
	int rc = 0;

	while (len > 0) {
		uint64_t vc = off >> ov->cluster_shift;
		uint64_t last = (off + len - 1) >> ov->cluster_shift;
		uint64_t e = ov->map[vc];
		uint64_t end = vc + 1;
		size_t n;

		while (end <= last) {
			uint64_t next = ov->map[end];

			if (e >= ENTRY_DATA0 ? next != e + (end - vc) : next != e)
				break;
			end++;
		}
		n = (end << ov->cluster_shift) - off;
		if (n > len)
			n = len;
		if (e == ENTRY_BASE) {
			rc = cached ? pread_cached(ov->base_fd, buf, n, off, true)
				    : base_read(ov, buf, n, off);
		} else if (e == ENTRY_ZERO) {
			memset(buf, 0, n);
		} else {
			uint64_t poff = ((e - ENTRY_DATA0) << ov->cluster_shift) +
					(off & (ov->cluster_size - 1));

			rc = cached ? pread_cached(ov->data_fd, buf, n, poff, false)
				    : pread_full(ov->data_fd, buf, n, poff);
		}
		if (rc == -EAGAIN && cached)
			goto err;
		if (rc < 0) {
			log_err("overlay %s: cannot read %s at %" PRIu64 ": %s", ov->dir,
				e == ENTRY_BASE ? "base" : "data", off, strerror(-rc));
			goto err;
		}
		buf += n;
		off += n;
		len -= n;
	}
err:
	return rc;
}

/**
 * read_checked() - overlay_read() and overlay_read_cached(): @cached takes
 * the lock only if it is free and reads only from the page cache.
 */
static int read_checked(struct overlay *ov, void *buf, size_t len, uint64_t off,
			bool cached)
{
	int rc;

	if (!ov || (!buf && len > 0))
		return -EINVAL;
	rc = check_range(ov, off, len);
	if (rc < 0 || len == 0)
		return rc;
	if (!cached)
		pthread_rwlock_rdlock(&ov->lock);
	else if (pthread_rwlock_tryrdlock(&ov->lock) != 0)
		return -EAGAIN;
	rc = read_locked(ov, buf, len, off, cached);
	pthread_rwlock_unlock(&ov->lock);
	return rc;
}

int overlay_read(struct overlay *ov, void *buf, size_t len, uint64_t off)
{
	return read_checked(ov, buf, len, off, false);
}

int overlay_read_cached(struct overlay *ov, void *buf, size_t len, uint64_t off)
{
	return read_checked(ov, buf, len, off, true);
}

/**
 * check_writable() - 0 if @ov may be changed: -EROFS for a read-only
 * handle, the sticky error after a failed sync.
 */
static int check_writable(const struct overlay *ov)
{
	if (ov->readonly)
		return -EROFS;
	return ov->failed;
}

int overlay_write(struct overlay *ov, const void *buf, size_t len, uint64_t off,
		  unsigned flags)
{
	int rc;

	if (!ov || (!buf && len > 0) || (flags & ~OVERLAY_FUA))
		return -EINVAL;
	rc = check_range(ov, off, len);
	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&ov->lock);
	rc = check_writable(ov);
	if (rc == 0)
		rc = write_locked(ov, buf, len, off);
	pthread_rwlock_unlock(&ov->lock);
	if (rc == 0 && (flags & OVERLAY_FUA))
		rc = overlay_flush(ov);
	return rc;
}

/**
 * flush_fail() - record that a sync failed.  After a failed fsync the
 * kernel may have dropped the unwritten pages, so a later "successful"
 * flush would be a lie: every later change and flush fails too.
 */
static int flush_fail(struct overlay *ov, const char *what, int rc)
{
	log_err("overlay %s: cannot sync %s: %s; the overlay refuses further writes",
		ov->dir, what, strerror(-rc));
	pthread_rwlock_wrlock(&ov->lock);
	if (!ov->failed)
		ov->failed = rc;
	pthread_rwlock_unlock(&ov->lock);
	return rc;
}

/**
 * map_snapshot() - copy the dirty map pages, in file order, into a new
 * buffer (on-disk byte order) and list their page numbers; clear the dirty
 * bitmap.  Caller holds the write lock.
 * Return 0 with *@buf and *@pages (both NULL when nothing was dirty), or
 * -ENOMEM (nothing changed).
 */
static int map_snapshot(struct overlay *ov, uint8_t **buf, uint64_t **pages,
			uint64_t *npages)
{
	uint64_t n = 0;
	uint8_t *b;
	uint64_t *pg;

	*buf = NULL;
	*pages = NULL;
	*npages = 0;
	if (ov->dirty_pages == 0)
		return 0;
	b = malloc(ov->dirty_pages * MAP_PAGE_SIZE);
	pg = malloc(ov->dirty_pages * sizeof(*pg));
	if (!b || !pg) {
		free(b);
		free(pg);
		return -ENOMEM;
	}
	for (uint64_t w = 0; w < (ov->map_pages + 63) / 64; w++) {
		uint64_t bits = ov->dirty[w];

		while (bits) {
			uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(bits);
			uint64_t first = page * ENTRIES_PER_PAGE;
			uint64_t count = ov->clusters - first;
			uint8_t *dst = b + n * MAP_PAGE_SIZE;

			if (count > ENTRIES_PER_PAGE)
				count = ENTRIES_PER_PAGE;
			for (uint64_t i = 0; i < count; i++)
				put_le64(dst + i * ENTRY_SIZE, ov->map[first + i]);
			pg[n++] = page;
			bits &= bits - 1;
		}
		ov->dirty[w] = 0;
	}
	ov->dirty_pages = 0;
	*buf = b;
	*pages = pg;
	*npages = n;
	return 0;
}

/**
 * map_write_pages() - write snapshot pages to the map file, one pwrite per
 * run of consecutive pages.  Return 0 or -errno.
 */
static int map_write_pages(struct overlay *ov, const uint8_t *buf,
			   const uint64_t *pages, uint64_t npages)
{
	uint64_t table_len = ov->clusters * ENTRY_SIZE;
	uint64_t i = 0;

	while (i < npages) {
		uint64_t j = i + 1;
		uint64_t off, len;
		int rc;

		while (j < npages && pages[j] == pages[j - 1] + 1)
			j++;
		off = pages[i] * MAP_PAGE_SIZE;
		len = (j - i) * MAP_PAGE_SIZE;
		if (off + len > table_len)
			len = table_len - off;
		rc = pwrite_full(ov->map_fd, buf + i * MAP_PAGE_SIZE, len,
				 MAP_HEADER_SIZE + off);
		if (rc < 0)
			return rc;
		i = j;
	}
	return 0;
}

/*
 * The flush: under the write lock, take a snapshot of the dirty map pages
 * and of the pending-free list; then, without the lock, fdatasync the data
 * file, write the snapshot pages and fdatasync the map; then, under the
 * lock again, let the pending clusters be reused.  Writes that land while
 * the sync runs belong to the next flush.
 */
int overlay_flush(struct overlay *ov)
{
	struct clist pending = { 0 };
	uint8_t *snap = NULL;
	uint64_t *pages = NULL;
	uint64_t npages = 0;
	bool data_dirty;
	int rc;

	if (!ov)
		return -EINVAL;
	if (ov->readonly)
		return 0;
	pthread_mutex_lock(&ov->flush_lock);

	pthread_rwlock_wrlock(&ov->lock);
	rc = ov->failed;
	if (rc == 0)
		rc = map_snapshot(ov, &snap, &pages, &npages);
	if (rc < 0) {
		pthread_rwlock_unlock(&ov->lock);
		goto err;
	}
	data_dirty = ov->data_dirty;
	ov->data_dirty = false;
	pending = ov->pending;
	memset(&ov->pending, 0, sizeof(ov->pending));
	pthread_rwlock_unlock(&ov->lock);

	if (data_dirty && fdatasync(ov->data_fd) < 0) {
		rc = flush_fail(ov, "data", -errno);
		goto err;
	}
	if (npages > 0) {
		rc = map_write_pages(ov, snap, pages, npages);
		if (rc == 0 && fdatasync(ov->map_fd) < 0)
			rc = -errno;
		if (rc < 0) {
			flush_fail(ov, "map", rc);
			goto err;
		}
	}

	pthread_rwlock_wrlock(&ov->lock);
	if (clist_move(&ov->free_list, &pending) < 0)
		log_warn("overlay %s: out of memory: %zu freed data clusters leaked "
			 "until the next open", ov->dir, pending.n);
	pthread_rwlock_unlock(&ov->lock);
err:
	/* On failure the pending clusters are dropped, never reused. */
	free(pending.v);
	free(snap);
	free(pages);
	pthread_mutex_unlock(&ov->flush_lock);
	return rc;
}

/**
 * unmap_locked() - make whole clusters [@c0, @c1) read as zeros, freeing
 * their data clusters after the next flush.  Caller holds the write lock.
 * Out of memory merely leaks the freed clusters until the next open.
 */
static void unmap_locked(struct overlay *ov, uint64_t c0, uint64_t c1)
{
	bool leaked = false;

	for (uint64_t c = c0; c < c1; c++)
		if (map_set(ov, c, ENTRY_ZERO) < 0)
			leaked = true;
	if (leaked)
		log_warn("overlay %s: out of memory: freed data clusters leaked "
			 "until the next open", ov->dir);
}

/**
 * discard() - common part of overlay_trim() and overlay_zero().
 * @zero: the range must read as zeros (partial clusters are written)
 * @flags: OVERLAY_FUA, OVERLAY_NO_HOLE
 * Return 0 or -errno.
 */
static int discard(struct overlay *ov, uint64_t off, uint64_t len, bool zero,
		   unsigned flags)
{
	uint64_t end = off + len;
	int rc;

	if (!ov || (flags & ~(OVERLAY_FUA | OVERLAY_NO_HOLE)))
		return -EINVAL;
	rc = check_range(ov, off, len);
	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&ov->lock);
	rc = check_writable(ov);
	while (rc == 0 && off < end) {
		uint64_t vc = off >> ov->cluster_shift;
		uint64_t cstart = vc << ov->cluster_shift;
		uint32_t vlen = cluster_vlen(ov, vc);
		uint64_t piece = cstart + vlen - off;

		if (piece > end - off)
			piece = end - off;
		if (piece == vlen && zero && (flags & OVERLAY_NO_HOLE)) {
			rc = write_locked(ov, ov->zeros, vlen, cstart);
		} else if (piece == vlen) {
			/* Whole clusters: unmap the longest run at once. */
			uint64_t c1 = vc + 1;

			while (c1 < ov->clusters && (c1 << ov->cluster_shift) +
			       cluster_vlen(ov, c1) <= end)
				c1++;
			unmap_locked(ov, vc, c1);
			piece = (c1 == ov->clusters ? ov->size : c1 << ov->cluster_shift) - off;
		} else if (zero && ov->map[vc] != ENTRY_ZERO) {
			rc = write_locked(ov, ov->zeros, (size_t)piece, off);
		}
		off += piece;
	}
	pthread_rwlock_unlock(&ov->lock);
	if (rc == 0 && (flags & OVERLAY_FUA))
		rc = overlay_flush(ov);
	return rc;
}

int overlay_trim(struct overlay *ov, uint64_t off, uint64_t len)
{
	return discard(ov, off, len, false, 0);
}

int overlay_zero(struct overlay *ov, uint64_t off, uint64_t len, unsigned flags)
{
	return discard(ov, off, len, true, flags);
}

uint64_t overlay_size(const struct overlay *ov)
{
	return ov->size;
}

uint32_t overlay_cluster_size(const struct overlay *ov)
{
	return ov->cluster_size;
}

int overlay_base_range(struct overlay *ov, uint64_t off, uint64_t len)
{
	uint64_t c, c0, c1;
	int rc;

	if (!ov)
		return -EINVAL;
	rc = check_range(ov, off, len);
	if (rc < 0 || len == 0)
		return rc < 0 ? rc : 1;
	if (pthread_rwlock_tryrdlock(&ov->lock) != 0)
		return -EAGAIN;
	c0 = off >> ov->cluster_shift;
	c1 = (off + len - 1) >> ov->cluster_shift;
	rc = 1;
	for (c = c0; c <= c1; c++) {
		if (ov->map[c] != ENTRY_BASE) {
			rc = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&ov->lock);
	return rc;
}

int overlay_map(struct overlay *ov, uint64_t off, uint64_t len,
		struct overlay_extent *ext, size_t max)
{
	uint64_t end = off + len;
	size_t n = 0;
	int rc;

	if (!ov || (!ext && max > 0))
		return -EINVAL;
	rc = check_range(ov, off, len);
	if (rc < 0)
		return rc;
	if (max > INT_MAX)
		max = INT_MAX;
	pthread_rwlock_rdlock(&ov->lock);
	while (off < end && n < max) {
		uint64_t vc = off >> ov->cluster_shift;
		enum overlay_state st = entry_state(ov->map[vc]);
		uint64_t c1 = vc + 1;
		uint64_t stop;

		while (c1 < ov->clusters && (c1 << ov->cluster_shift) < end &&
		       entry_state(ov->map[c1]) == st)
			c1++;
		stop = c1 == ov->clusters ? ov->size : c1 << ov->cluster_shift;
		if (stop > end)
			stop = end;
		ext[n].off = off;
		ext[n].len = stop - off;
		ext[n].state = st;
		n++;
		off = stop;
	}
	pthread_rwlock_unlock(&ov->lock);
	return (int)n;
}

void overlay_stats(const struct overlay *ov, struct overlay_stats *out)
{
	/* The lock is the handle's own mutable state, even on a const view. */
	struct overlay *mov = (struct overlay *)ov;
	struct stat st;

	pthread_rwlock_rdlock(&mov->lock);
	out->clusters = ov->clusters;
	out->data = ov->n_data;
	out->zero = ov->n_zero;
	out->data_bytes = ov->data_clusters << ov->cluster_shift;
	pthread_rwlock_unlock(&mov->lock);
	if (fstat(ov->data_fd, &st) == 0)
		out->data_bytes = (uint64_t)st.st_size;
}

/**
 * base_size() - size of the open base image @fd (regular file or block
 * device).  Return 0 or -errno.
 */
static int base_size(int fd, uint64_t *out)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, out) < 0)
			return -errno;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*out = (uint64_t)st.st_size;
	return 0;
}

/**
 * header_build() - fill @hdr (MAP_HEADER_SIZE bytes) for a new map.
 */
static void header_build(uint8_t *hdr, uint32_t cs, uint64_t size,
			 uint64_t clusters, const char *base_id)
{
	size_t idlen = strlen(base_id);

	memset(hdr, 0, MAP_HEADER_SIZE);
	memcpy(hdr + HDR_OFF_MAGIC, MAP_MAGIC, MAP_MAGIC_LEN);
	put_le32(hdr + HDR_OFF_VERSION, MAP_VERSION);
	put_le32(hdr + HDR_OFF_CLUSTER, cs);
	put_le64(hdr + HDR_OFF_SIZE, size);
	put_le64(hdr + HDR_OFF_CLUSTERS, clusters);
	put_le32(hdr + HDR_OFF_TABLE, MAP_HEADER_SIZE);
	put_le32(hdr + HDR_OFF_IDLEN, (uint32_t)idlen);
	memcpy(hdr + HDR_OFF_ID, base_id, idlen);
	put_le32(hdr + HDR_OFF_CRC, crc32_ieee(hdr, HDR_OFF_CRC));
}

/**
 * path_in() - "@dir/@name", allocated.
 */
static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/**
 * overlay_create() - make a new, empty overlay in @dir: an empty data
 * file, then the map written to a temporary file, synced and renamed into
 * place, so a half-made overlay never exists under the name "map".
 * Return 0 or -errno.
 */
static int overlay_create(const char *dir, uint32_t cs, uint64_t size,
			  const char *base_id)
{
	uint64_t clusters = (size + cs - 1) / cs;
	char *map_path = path_in(dir, MAP_FILE);
	char *tmp_path = path_in(dir, MAP_TMP_FILE);
	char *data_path = path_in(dir, DATA_FILE);
	uint8_t *hdr = xmalloc(MAP_HEADER_SIZE);
	uint64_t map_len = MAP_HEADER_SIZE + clusters * ENTRY_SIZE;
	int fd = -1;
	int rc;

	/* The data file may hold leftovers of an earlier overlay: no map
	 * points at them any more, so they can go. */
	fd = open(data_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	if (fd < 0 || fsync(fd) < 0) {
		rc = -errno;
		log_err("overlay %s: cannot create %s: %s", dir, data_path, strerror(-rc));
		goto err;
	}
	close(fd);

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	if (fd < 0) {
		rc = -errno;
		log_err("overlay %s: cannot create %s: %s", dir, tmp_path, strerror(-rc));
		goto err;
	}
	header_build(hdr, cs, size, clusters, base_id);
	rc = pwrite_full(fd, hdr, MAP_HEADER_SIZE, 0);
	if (rc < 0)
		goto err_write;
	/* Reserve the entry table now, so a flush never runs out of space;
	 * its unwritten blocks read as zeros, i.e. "base". */
	if (clusters > 0 &&
	    fallocate(fd, 0, MAP_HEADER_SIZE, (off_t)(map_len - MAP_HEADER_SIZE)) < 0 &&
	    errno != EOPNOTSUPP) {
		rc = -errno;
		goto err_write;
	}
	if (ftruncate(fd, (off_t)map_len) < 0 || fsync(fd) < 0) {
		rc = -errno;
		goto err_write;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto err_write;
	}
	fd = -1;
	if (rename(tmp_path, map_path) < 0) {
		rc = -errno;
		goto err_write;
	}
	rc = fsync_dir(dir);
	if (rc < 0)
		goto err_write;
	goto err;

err_write:
	log_err("overlay %s: cannot write %s: %s", dir, tmp_path, strerror(-rc));
	unlink(tmp_path);
err:
	if (fd >= 0)
		close(fd);
	free(hdr);
	free(map_path);
	free(tmp_path);
	free(data_path);
	return rc;
}

/**
 * header_check() - validate the map header @hdr against the base.
 * Return 0 with the cluster size in *@cs, -EBADMSG (damaged or not a map),
 * or -ESTALE (made over another base).
 */
static int header_check(const char *dir, const uint8_t *hdr, const char *base_id,
			uint64_t base_bytes, uint32_t *cs)
{
	uint32_t version, idlen, table;
	uint64_t size, clusters;
	char id[OVERLAY_BASE_ID_MAX + 1];

	if (memcmp(hdr + HDR_OFF_MAGIC, MAP_MAGIC, MAP_MAGIC_LEN) != 0) {
		log_err("overlay %s: map is not an overlay map (bad magic)", dir);
		return -EBADMSG;
	}
	if (crc32_ieee(hdr, HDR_OFF_CRC) != get_le32(hdr + HDR_OFF_CRC)) {
		log_err("overlay %s: map header is damaged (checksum mismatch)", dir);
		return -EBADMSG;
	}
	version = get_le32(hdr + HDR_OFF_VERSION);
	if (version != MAP_VERSION) {
		log_err("overlay %s: unsupported map format version %" PRIu32
			" (this build reads %u)", dir, version, MAP_VERSION);
		return -EBADMSG;
	}
	*cs = get_le32(hdr + HDR_OFF_CLUSTER);
	size = get_le64(hdr + HDR_OFF_SIZE);
	clusters = get_le64(hdr + HDR_OFF_CLUSTERS);
	table = get_le32(hdr + HDR_OFF_TABLE);
	idlen = get_le32(hdr + HDR_OFF_IDLEN);
	if (!valid_cluster_size(*cs)) {
		log_err("overlay %s: invalid cluster size %" PRIu32 " in map header", dir, *cs);
		return -EBADMSG;
	}
	if (table != MAP_HEADER_SIZE || idlen > OVERLAY_BASE_ID_MAX ||
	    clusters != size / *cs + (size % *cs != 0)) {
		log_err("overlay %s: map header is inconsistent", dir);
		return -EBADMSG;
	}
	memcpy(id, hdr + HDR_OFF_ID, idlen);
	id[idlen] = '\0';
	if (strcmp(id, base_id) != 0) {
		log_err("overlay %s: made over base '%s', not '%s'", dir, id, base_id);
		return -ESTALE;
	}
	if (size != base_bytes) {
		log_err("overlay %s: made over a base of %" PRIu64 " bytes, but the base "
			"is %" PRIu64 " bytes", dir, size, base_bytes);
		return -ESTALE;
	}
	return 0;
}

/**
 * map_read_table() - read the entry table into ov->map, skipping the holes
 * of the map file: the pages of a table nobody wrote stay untouched (zero
 * from calloc) and cost no memory, which matters with a thousand clients
 * connected.  The pages read are marked in ov->loaded.
 * Return 0 or -errno.
 */
static int map_read_table(struct overlay *ov, uint64_t table_len)
{
	uint64_t end = MAP_HEADER_SIZE + table_len, pos = MAP_HEADER_SIZE;
	uint64_t first, last, from, to, p;
	off_t data, hole;
	int rc;

	ov->loaded = calloc(ov->map_pages / 64 + 1, sizeof(*ov->loaded));
	if (!ov->loaded)
		return -ENOMEM;
	while (pos < end) {
		data = lseek(ov->map_fd, (off_t)pos, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		if ((uint64_t)data >= end)
			break;
		hole = lseek(ov->map_fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		if ((uint64_t)hole > end)
			hole = (off_t)end;
		/* Whole map pages, so that every entry of a page is read. */
		first = ((uint64_t)data - MAP_HEADER_SIZE) / MAP_PAGE_SIZE;
		last = ((uint64_t)hole - MAP_HEADER_SIZE + MAP_PAGE_SIZE - 1) / MAP_PAGE_SIZE;
		from = first * MAP_PAGE_SIZE;
		to = last * MAP_PAGE_SIZE < table_len ? last * MAP_PAGE_SIZE : table_len;
		rc = pread_full(ov->map_fd, (uint8_t *)ov->map + from, to - from,
				(off_t)(MAP_HEADER_SIZE + from));
		if (rc < 0)
			return rc;
		for (p = first; p < last; p++)
			ov->loaded[p / 64] |= UINT64_C(1) << (p % 64);
		pos = MAP_HEADER_SIZE + to;
	}
	return 0;
}

/** page_loaded() - whether map page @p was read from the file. */
static bool page_loaded(const struct overlay *ov, uint64_t p)
{
	return ov->loaded[p / 64] & (UINT64_C(1) << (p % 64));
}

/**
 * map_load() - read and check the entry table; rebuild the counters, the
 * free list and (read-write) shorten a data file with unmapped clusters at
 * its end.  Return 0 or -EBADMSG / -errno.
 */
static int map_load(struct overlay *ov)
{
	uint64_t table_len = ov->clusters * ENTRY_SIZE;
	uint64_t *used = NULL;
	uint64_t used_end = 0;
	struct stat st;
	int rc;

	if (fstat(ov->map_fd, &st) < 0) {
		rc = -errno;
		goto err;
	}
	if ((uint64_t)st.st_size != MAP_HEADER_SIZE + table_len) {
		log_err("overlay %s: map is %" PRIu64 " bytes, expected %" PRIu64
			" for %" PRIu64 " clusters: %s", ov->dir, (uint64_t)st.st_size,
			MAP_HEADER_SIZE + table_len, ov->clusters,
			(uint64_t)st.st_size < MAP_HEADER_SIZE + table_len ?
			"truncated" : "trailing garbage");
		rc = -EBADMSG;
		goto err;
	}
	rc = map_read_table(ov, table_len);
	if (rc < 0) {
		log_err("overlay %s: cannot read map: %s", ov->dir, strerror(-rc));
		goto err;
	}
	if (fstat(ov->data_fd, &st) < 0) {
		rc = -errno;
		goto err;
	}
	ov->data_clusters = (uint64_t)st.st_size >> ov->cluster_shift;
	used = calloc(ov->data_clusters / 64 + 1, sizeof(*used));
	if (!used) {
		rc = -ENOMEM;
		goto err;
	}
	for (uint64_t c = 0; c < ov->clusters; c++) {
		uint64_t e, pc;

		if (ov->map[c] == 0) {
			/* Never written: skip the rest of an untouched page
			 * without reading it, so it costs no memory. */
			if (c % ENTRIES_PER_PAGE == 0 && !page_loaded(ov, c / ENTRIES_PER_PAGE))
				c += ENTRIES_PER_PAGE - 1;
			continue;
		}
		e = le64toh(ov->map[c]);
		pc = e - ENTRY_DATA0;
		ov->map[c] = e;
		if (e == ENTRY_ZERO)
			ov->n_zero++;
		if (e < ENTRY_DATA0)
			continue;
		if (pc >= ov->data_clusters) {
			log_err("overlay %s: map entry %" PRIu64 " points past the end of "
				"data (cluster %" PRIu64 " of %" PRIu64 ")", ov->dir, c, pc,
				ov->data_clusters);
			rc = -EBADMSG;
			goto err;
		}
		if (used[pc / 64] & (UINT64_C(1) << (pc % 64))) {
			log_err("overlay %s: map entry %" PRIu64 " points at data cluster %"
				PRIu64 ", which another entry uses too", ov->dir, c, pc);
			rc = -EBADMSG;
			goto err;
		}
		used[pc / 64] |= UINT64_C(1) << (pc % 64);
		ov->n_data++;
		if (pc + 1 > used_end)
			used_end = pc + 1;
	}

	if (!ov->readonly && used_end < ov->data_clusters) {
		/* Clusters past the last mapped one: written but never flushed. */
		if (ftruncate(ov->data_fd, (off_t)(used_end << ov->cluster_shift)) < 0) {
			rc = -errno;
			log_err("overlay %s: cannot shorten data: %s", ov->dir, strerror(-rc));
			goto err;
		}
		ov->data_clusters = used_end;
	}
	/* Free list, lowest number last so that it is taken first. */
	for (uint64_t pc = ov->data_clusters; pc-- > 0;) {
		if (used[pc / 64] & (UINT64_C(1) << (pc % 64)))
			continue;
		rc = clist_push(&ov->free_list, pc);
		if (rc < 0)
			goto err;
	}
	rc = 0;
err:
	free(used);
	free(ov->loaded);
	ov->loaded = NULL;
	return rc;
}

/**
 * lock_dir() - open the overlay directory of @ov (made first with
 * OVERLAY_CREATE) and lock it for this writer: two writers would hand out
 * the same free clusters, and two creators would race.  The lock lasts
 * while the handle is open and goes with the process.
 * Return 0, -ENOENT (no directory), -EBUSY (another writer), or -errno.
 */
static int lock_dir(struct overlay *ov, unsigned flags)
{
	int rc;

	if (flags & OVERLAY_CREATE) {
		rc = mkdir_p(ov->dir, DIR_MODE);
		if (rc < 0) {
			log_err("overlay %s: cannot create directory: %s", ov->dir,
				strerror(-rc));
			return rc;
		}
	}
	ov->dir_fd = open(ov->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ov->dir_fd < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			log_err("overlay %s: cannot open directory: %s", ov->dir,
				strerror(-rc));
		return rc;
	}
	if (flock(ov->dir_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		log_err("overlay %s: in use by another writer", ov->dir);
		return rc;
	}
	return 0;
}

/**
 * open_files() - open the base, the map and the data file of @ov and read
 * the map header.  Return 0, -ENOENT (no overlay), or -errno.
 */
static int open_files(struct overlay *ov, const char *base_path, const char *base_id,
		      uint32_t cluster_size, unsigned flags)
{
	char *map_path = path_in(ov->dir, MAP_FILE);
	char *data_path = path_in(ov->dir, DATA_FILE);
	int oflags = ov->readonly ? O_RDONLY : O_RDWR;
	uint8_t *hdr = xmalloc(MAP_HEADER_SIZE);
	uint64_t base_bytes;
	uint32_t cs;
	int rc;

	ov->base_fd = open(base_path, O_RDONLY | O_CLOEXEC);
	if (ov->base_fd < 0) {
		rc = -errno;
		log_err("overlay %s: cannot open base %s: %s", ov->dir, base_path,
			strerror(-rc));
		goto err;
	}
	rc = base_size(ov->base_fd, &base_bytes);
	if (rc < 0) {
		log_err("overlay %s: base %s is not a file or block device", ov->dir,
			base_path);
		goto err;
	}

	if (!ov->readonly) {
		rc = lock_dir(ov, flags);
		if (rc < 0)
			goto err;
	}
	ov->map_fd = open(map_path, oflags | O_CLOEXEC);
	if (ov->map_fd < 0 && errno == ENOENT && (flags & OVERLAY_CREATE)) {
		rc = overlay_create(ov->dir, cluster_size, base_bytes, base_id);
		if (rc < 0)
			goto err;
		ov->map_fd = open(map_path, oflags | O_CLOEXEC);
	}
	if (ov->map_fd < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			log_err("overlay %s: cannot open map: %s", ov->dir, strerror(-rc));
		goto err;
	}

	rc = pread_full(ov->map_fd, hdr, MAP_HEADER_SIZE, 0);
	if (rc == -EIO) {
		log_err("overlay %s: map is too short for its header", ov->dir);
		rc = -EBADMSG;
	}
	if (rc < 0)
		goto err;
	rc = header_check(ov->dir, hdr, base_id, base_bytes, &cs);
	if (rc < 0)
		goto err;
	ov->cluster_size = cs;
	ov->cluster_shift = (unsigned)__builtin_ctz(cs);
	ov->size = base_bytes;
	ov->clusters = (base_bytes + cs - 1) >> ov->cluster_shift;

	ov->data_fd = open(data_path, oflags | O_CLOEXEC);
	if (ov->data_fd < 0 && errno == ENOENT) {
		/* Lost (or never made): fine while no map entry needs it. */
		if (ov->readonly) {
			ov->data_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		} else {
			ov->data_fd = open(data_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
					   FILE_MODE);
			if (ov->data_fd >= 0 && fsync(ov->dir_fd) < 0) {
				rc = -errno;
				log_err("overlay %s: cannot sync directory: %s", ov->dir,
					strerror(-rc));
				goto err;
			}
		}
	}
	if (ov->data_fd < 0) {
		rc = -errno;
		log_err("overlay %s: cannot open data: %s", ov->dir, strerror(-rc));
		goto err;
	}
	/* A writer that died may have left map pages written but not synced;
	 * they must be on disk before the clusters they freed are reused. */
	if (!ov->readonly && fdatasync(ov->map_fd) < 0) {
		rc = -errno;
		log_err("overlay %s: cannot sync map: %s", ov->dir, strerror(-rc));
		goto err;
	}
	rc = 0;
err:
	free(hdr);
	free(map_path);
	free(data_path);
	return rc;
}

int overlay_open(const char *dir, const char *base_path, const char *base_id,
		 uint32_t cluster_size, unsigned flags, struct overlay **out)
{
	struct overlay *ov = NULL;
	int rc;

	if (!dir || !base_path || !base_id || !out ||
	    (flags & ~(OVERLAY_CREATE | OVERLAY_READONLY)) ||
	    (flags & OVERLAY_CREATE && flags & OVERLAY_READONLY))
		return -EINVAL;
	*out = NULL;
	if (strlen(base_id) > OVERLAY_BASE_ID_MAX) {
		log_err("overlay %s: base identity is longer than %d bytes", dir,
			OVERLAY_BASE_ID_MAX);
		return -EINVAL;
	}
	if (cluster_size == 0)
		cluster_size = OVERLAY_CLUSTER_DEFAULT;
	if ((flags & OVERLAY_CREATE) && !valid_cluster_size(cluster_size)) {
		log_err("overlay %s: invalid cluster size %" PRIu32 ": not a power of two "
			"from %u to %u", dir, cluster_size, OVERLAY_CLUSTER_MIN,
			OVERLAY_CLUSTER_MAX);
		return -EINVAL;
	}

	ov = xcalloc(1, sizeof(*ov));
	ov->dir = xstrdup(dir);
	ov->base_fd = ov->map_fd = ov->data_fd = ov->dir_fd = -1;
	ov->readonly = flags & OVERLAY_READONLY;
	pthread_rwlock_init(&ov->lock, NULL);
	pthread_mutex_init(&ov->flush_lock, NULL);

	rc = open_files(ov, base_path, base_id, cluster_size, flags);
	if (rc < 0)
		goto err;
	if (ov->clusters > SIZE_MAX / ENTRY_SIZE) {
		rc = -EFBIG;
		goto err;
	}
	ov->map_pages = (ov->clusters + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
	ov->map = calloc(ov->clusters ? ov->clusters : 1, ENTRY_SIZE);
	ov->dirty = calloc(ov->map_pages / 64 + 1, sizeof(*ov->dirty));
	ov->bounce = malloc(ov->cluster_size);
	ov->zeros = calloc(1, ov->cluster_size);
	if (!ov->map || !ov->dirty || !ov->bounce || !ov->zeros) {
		log_err("overlay %s: out of memory for a map of %" PRIu64 " clusters",
			dir, ov->clusters);
		rc = -ENOMEM;
		goto err;
	}
	rc = map_load(ov);
	if (rc < 0)
		goto err;
	*out = ov;
	return 0;
err:
	overlay_close(ov);
	return rc;
}

int overlay_close(struct overlay *ov)
{
	int rc = 0;

	if (!ov)
		return 0;
	if (ov->data_fd >= 0 && close(ov->data_fd) < 0)
		rc = -errno;
	if (ov->map_fd >= 0 && close(ov->map_fd) < 0 && rc == 0)
		rc = -errno;
	if (ov->base_fd >= 0)
		close(ov->base_fd);
	if (ov->dir_fd >= 0)
		close(ov->dir_fd);	/* drops the writer's lock */
	pthread_rwlock_destroy(&ov->lock);
	pthread_mutex_destroy(&ov->flush_lock);
	free(ov->free_list.v);
	free(ov->pending.v);
	free(ov->map);
	free(ov->dirty);
	free(ov->bounce);
	free(ov->zeros);
	free(ov->dir);
	free(ov);
	return rc;
}

int overlay_reset(const char *dir)
{
	static const char *const names[] = { MAP_FILE, MAP_TMP_FILE, DATA_FILE };
	int rc = 0, dfd;

	if (!dir)
		return -EINVAL;
	/* Take the writer's lock: an overlay a writer (blockd) has open is
	 * not removed under it. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(dfd);
		return rc;
	}
	/* The map goes first: without it there is no overlay. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = path_in(dir, names[i]);

		if (unlink(path) < 0 && errno != ENOENT && rc == 0) {
			rc = -errno;
			log_err("overlay %s: cannot remove %s: %s", dir, path, strerror(-rc));
		}
		free(path);
	}
	if (rc == 0 && fsync(dfd) < 0)
		rc = -errno;
	close(dfd);	/* releases the lock */
	return rc;
}

/**
 * zero_range() - make [@off, @off + @len) of @fd read as zeros: punch a
 * hole, or write zeros where the file system cannot.  Return 0 or -errno.
 */
static int zero_range(int fd, uint64_t off, uint64_t len, const uint8_t *zeros,
		      size_t zlen)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
		return -errno;
	while (len > 0) {
		size_t n = len < zlen ? (size_t)len : zlen;
		int rc = pwrite_full(fd, zeros, n, off);

		if (rc < 0)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}

int overlay_capture(struct overlay *ov, int dstfd, const struct progress *p)
{
	uint8_t *buf = NULL;
	uint64_t off = 0;
	struct stat st;
	int rc = 0;

	if (!ov || dstfd < 0)
		return -EINVAL;
	if (fstat(dstfd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < ov->size) {
		log_err("overlay %s: capture target is %" PRIu64 " bytes, smaller than "
			"the base (%" PRIu64 ")", ov->dir, (uint64_t)st.st_size, ov->size);
		return -EINVAL;
	}
	buf = calloc(1, CAPTURE_CHUNK);
	if (!buf)
		return -ENOMEM;
	progress_report(p, "capture", 0, ov->size);
	while (off < ov->size) {
		uint64_t vc = off >> ov->cluster_shift;
		uint64_t c1 = vc + 1;
		uint64_t max = ov->clusters;
		enum overlay_state st0;
		uint64_t stop;

		pthread_rwlock_rdlock(&ov->lock);
		st0 = entry_state(ov->map[vc]);
		if (st0 == OVERLAY_DATA && max > vc + (CAPTURE_CHUNK >> ov->cluster_shift))
			max = vc + (CAPTURE_CHUNK >> ov->cluster_shift);
		while (c1 < max && entry_state(ov->map[c1]) == st0)
			c1++;
		stop = c1 == ov->clusters ? ov->size : c1 << ov->cluster_shift;
		if (st0 == OVERLAY_DATA)
			rc = read_locked(ov, buf, stop - off, off, false);
		pthread_rwlock_unlock(&ov->lock);
		if (rc < 0)
			goto err;

		if (st0 == OVERLAY_DATA)
			rc = pwrite_full(dstfd, buf, stop - off, off);
		else if (st0 == OVERLAY_ZERO)
			rc = zero_range(dstfd, off, stop - off, ov->zeros,
					ov->cluster_size);
		if (rc < 0) {
			log_err("overlay %s: cannot write capture at %" PRIu64 ": %s",
				ov->dir, off, strerror(-rc));
			goto err;
		}
		off = stop;
		progress_report(p, "capture", off, ov->size);
	}
	if (fsync(dstfd) < 0) {
		rc = -errno;
		log_err("overlay %s: cannot sync capture: %s", ov->dir, strerror(-rc));
	}
err:
	free(buf);
	return rc;
}
