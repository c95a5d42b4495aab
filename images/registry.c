/* The registry: images, versions, groups, clients and the audit trail in
 * one SQLite database.  See registry.h for the contract.
 *
 * Layout of this file: error and statement helpers, transactions, opening
 * and migrations, then the objects (audit, images, versions, groups,
 * clients) in the order of the header.
 */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "registry.h"
#include "util.h"

/* PRAGMA application_id of a lanroot registry: "LNRT". */
#define REG_APPLICATION_ID 0x4c4e5254
/* How long to wait for another process's write lock. */
#define REG_BUSY_TIMEOUT_MS 10000
#define REG_ERR_MAX 512
#define SHA256_HEX_LEN 64
/* Room kept in a group list for " and N more". */
#define REG_MORE_ROOM 24
#define REG_LOCKED_MSG "registry is locked by another lanroot process"

/* Prepared statements kept for reuse: bootd asks the same few questions
 * for every DHCP packet and TFTP/HTTP request, and parsing the SQL each
 * time cost more than running it. */
#define REG_STMT_CACHE 48

struct reg_cached_stmt {
	char *sql;		/* its text (owned) */
	sqlite3_stmt *st;
	bool busy;		/* handed out, not yet released */
};

struct registry {
	sqlite3 *db;		/* the connection */
	struct reg_cached_stmt cache[REG_STMT_CACHE];
	unsigned ncache;
	int depth;		/* open transactions: 1 = BEGIN, more = SAVEPOINTs */
	int last_sqlite;	/* last failing SQLite result code */
	char err[REG_ERR_MAX];	/* message for the last failure */
};

/*
 * Migrations: entry N-1 brings the schema from user_version N-1 to N.  To
 * change the schema, append an entry (ALTER TABLE …, or create-copy-drop
 * for what ALTER cannot do); never edit an entry that has shipped.
 */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE images ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  next_version INTEGER NOT NULL DEFAULT 1 CHECK (next_version >= 1),"
	"  created TEXT NOT NULL"
	");"
	"CREATE TABLE versions ("
	"  image_id INTEGER NOT NULL REFERENCES images(id),"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  size INTEGER NOT NULL CHECK (size >= 0),"
	"  sha256 TEXT NOT NULL DEFAULT '',"
	"  format TEXT NOT NULL,"
	"  created TEXT NOT NULL,"
	"  parent INTEGER NOT NULL DEFAULT 0 CHECK (parent >= 0),"
	"  note TEXT NOT NULL DEFAULT '',"
	"  kernel TEXT NOT NULL DEFAULT '',"
	"  initrd TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (image_id, version)"
	");"
	/* The published version of an image is its newest row here. */
	"CREATE TABLE publish_history ("
	"  id INTEGER PRIMARY KEY,"
	"  image_id INTEGER NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  at TEXT NOT NULL,"
	"  FOREIGN KEY (image_id, version) REFERENCES versions(image_id, version)"
	"    ON DELETE CASCADE"
	");"
	"CREATE INDEX publish_history_image ON publish_history(image_id, id);"
	"CREATE TABLE groups ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  image_id INTEGER NOT NULL REFERENCES images(id),"
	"  version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),"
	"  mode TEXT NOT NULL"
	"    CHECK (mode IN ('volatile', 'persistent', 'reset-on-boot')),"
	"  proto TEXT NOT NULL CHECK (proto IN ('nbd', 'iscsi')),"
	"  cmdline TEXT NOT NULL DEFAULT '',"
	"  loader TEXT NOT NULL DEFAULT 'auto',"
	"  created TEXT NOT NULL"
	");"
	"CREATE INDEX groups_image ON groups(image_id);"
	"CREATE TABLE clients ("
	"  mac TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id),"
	"  mode TEXT NOT NULL DEFAULT ''"
	"    CHECK (mode IN ('', 'volatile', 'persistent', 'reset-on-boot')),"
	"  cmdline TEXT NOT NULL DEFAULT '',"
	"  created TEXT NOT NULL"
	");"
	"CREATE INDEX clients_group ON clients(group_id);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  detail TEXT"
	");",
	/* 2: boot menus of groups, IPv4 reservations of clients (issue 4) */
	"ALTER TABLE groups ADD COLUMN menu TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE clients ADD COLUMN ip TEXT NOT NULL DEFAULT '';"
	"CREATE UNIQUE INDEX clients_ip ON clients(ip) WHERE ip != '';",
};

#define REG_SCHEMA_VERSION ((int)ARRAY_SIZE(migrations))

static const char *const formats[] = { "ext4", "erofs", "squashfs", "raw" };
static const char *const loaders[] = { "auto", "pxelinux", "ipxe", "grub" };

/* ---- errors ------------------------------------------------------------ */

/**
 * reg_fail() - leave a message for registry_error().
 * @rc: the -errno to return
 * Return: @rc.
 */
static int __attribute__((format(printf, 3, 4)))
reg_fail(struct registry *reg, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reg->err, sizeof(reg->err), fmt, ap);
	va_end(ap);
	return rc;
}

/**
 * sql_errno() - the -errno for an (extended) SQLite result code.
 */
static int sql_errno(struct registry *reg, int sqlrc)
{
	int sys;

	switch (sqlrc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -EBUSY;
	default:
		break;
	}
	switch (sqlrc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
	case SQLITE_NOTADB:
		return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = sqlite3_system_errno(reg->db);
		return sys > 0 ? -sys : -EIO;
	default:
		return -EIO;
	}
}

/**
 * reg_sqlfail() - turn the SQLite failure @sqlrc into -errno + message.
 */
static int reg_sqlfail(struct registry *reg, int sqlrc)
{
	int rc = sql_errno(reg, sqlrc);

	reg->last_sqlite = sqlrc;
	if ((sqlrc & 0xff) == SQLITE_BUSY || (sqlrc & 0xff) == SQLITE_LOCKED)
		return reg_fail(reg, rc, REG_LOCKED_MSG);
	return reg_fail(reg, rc, "registry: %s", sqlite3_errmsg(reg->db));
}

/* ---- statements -------------------------------------------------------- */

/**
 * reg_release() - done with @st (from reg_prepare): a cached statement is
 * reset for its next use, another one finalized.  NULL is fine.
 */
static void reg_release(struct registry *reg, sqlite3_stmt *st)
{
	unsigned i;

	if (!st)
		return;
	for (i = 0; i < reg->ncache; i++) {
		if (reg->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			reg->cache[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

/**
 * stmt_get() - a statement for @sql: an idle cached one, a new cached one
 * while there is room, else a new one finalized at release.
 * Return: SQLite's result code.
 */
static int stmt_get(struct registry *reg, const char *sql, sqlite3_stmt **out)
{
	struct reg_cached_stmt *c;
	unsigned i;
	int sqlrc;

	for (i = 0; i < reg->ncache; i++) {
		c = &reg->cache[i];
		if (!c->busy && !strcmp(c->sql, sql)) {
			c->busy = true;
			*out = c->st;
			return SQLITE_OK;
		}
	}
	if (reg->ncache == REG_STMT_CACHE)
		return sqlite3_prepare_v2(reg->db, sql, -1, out, NULL);
	sqlrc = sqlite3_prepare_v3(reg->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (sqlrc != SQLITE_OK)
		return sqlrc;
	c = &reg->cache[reg->ncache++];
	c->sql = xstrdup(sql);
	c->st = *out;
	c->busy = true;
	return SQLITE_OK;
}

/**
 * reg_vprepare() - prepare @sql and bind its parameters, described by
 * @types: 't' const char * (NULL binds NULL), 'i' int, 'I' int64_t.
 * Parameter k of @types binds ?k.  Release the statement with
 * reg_release().
 * Return: 0 with *@out, or -errno.
 */
static int reg_vprepare(struct registry *reg, sqlite3_stmt **out, const char *sql,
			const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int sqlrc, rc, i;

	sqlrc = stmt_get(reg, sql, &st);
	if (sqlrc != SQLITE_OK)
		return reg_sqlfail(reg, sqlrc);
	for (i = 0; types[i]; i++) {
		switch (types[i]) {
		case 't':
			sqlrc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
						  SQLITE_TRANSIENT);
			break;
		case 'i':
			sqlrc = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		case 'I':
			sqlrc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		default:
			sqlrc = SQLITE_MISUSE;
			break;
		}
		if (sqlrc != SQLITE_OK) {
			rc = reg_sqlfail(reg, sqlrc);
			reg_release(reg, st);
			return rc;
		}
	}
	*out = st;
	return 0;
}

/** reg_prepare() - reg_vprepare() with the parameters inline. */
static int reg_prepare(struct registry *reg, sqlite3_stmt **out, const char *sql,
		       const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = reg_vprepare(reg, out, sql, types, ap);
	va_end(ap);
	return rc;
}

/**
 * reg_step() - step @st.  Return: 1 for a row, 0 when done, or -errno.
 */
static int reg_step(struct registry *reg, sqlite3_stmt *st)
{
	int sqlrc = sqlite3_step(st);

	if (sqlrc == SQLITE_ROW)
		return 1;
	if (sqlrc == SQLITE_DONE)
		return 0;
	return reg_sqlfail(reg, sqlrc);
}

/**
 * reg_run() - run a statement that returns no rows (INSERT, UPDATE, …).
 * Return: 0 or -errno.
 */
static int reg_run(struct registry *reg, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = reg_vprepare(reg, &st, sql, types, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	while ((rc = reg_step(reg, st)) == 1)
		;
	reg_release(reg, st);
	return rc;
}

/**
 * reg_int() - run a query whose first column of the first row is an
 * integer.  Return: 1 with *@out, 0 if there is no row, or -errno.
 */
static int reg_int(struct registry *reg, int64_t *out, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = reg_vprepare(reg, &st, sql, types, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	rc = reg_step(reg, st);
	if (rc == 1)
		*out = sqlite3_column_int64(st, 0);
	reg_release(reg, st);
	return rc;
}

/**
 * reg_text() - like reg_int() for a text column, copied into @out.
 */
static int reg_text(struct registry *reg, char *out, size_t outlen, const char *sql,
		    const char *types, ...)
{
	const unsigned char *s;
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = reg_vprepare(reg, &st, sql, types, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	rc = reg_step(reg, st);
	if (rc == 1) {
		s = sqlite3_column_text(st, 0);
		(void)str_copy(out, outlen, s ? (const char *)s : "");
	}
	reg_release(reg, st);
	return rc;
}

/** col_text() - copy text column @col of the current row into @dst. */
static void col_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	/* Inserts reject what would not fit, so this never truncates. */
	(void)str_copy(dst, size, s ? (const char *)s : "");
}

typedef void (*row_fn)(sqlite3_stmt *st, void *elem);

/**
 * reg_collect() - read every row of @st (finalized here) into a malloc'ed
 * array of @size-byte elements filled by @fn.
 * Return: 0 with *@out (NULL when empty) and *@n, or -errno.
 */
static int reg_collect(struct registry *reg, sqlite3_stmt *st, size_t size, row_fn fn,
		       void **out, size_t *n)
{
	char *arr = NULL;
	size_t cap = 0, count = 0;
	int rc;

	while ((rc = reg_step(reg, st)) == 1) {
		if (count == cap) {
			if (cap > SIZE_MAX / 2 / size) {
				rc = reg_fail(reg, -ENOMEM, "registry: list too long");
				break;
			}
			cap = cap ? cap * 2 : 16;
			arr = xrealloc(arr, cap * size);
		}
		memset(arr + count * size, 0, size);
		fn(st, arr + count * size);
		count++;
	}
	reg_release(reg, st);
	if (rc < 0) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = count;
	return 0;
}

/**
 * reg_fetch() - read the first row of @st (finalized here) with @fn.
 * Return: 1 if there was one, 0 if not, or -errno.
 */
static int reg_fetch(struct registry *reg, sqlite3_stmt *st, row_fn fn, void *elem)
{
	int rc = reg_step(reg, st);

	if (rc == 1)
		fn(st, elem);
	reg_release(reg, st);
	return rc;
}

/* ---- transactions -------------------------------------------------------- */

/**
 * tx_begin() - open a transaction, or a savepoint inside the open one.
 * @write: take the write lock up front (BEGIN IMMEDIATE); else a read
 *         snapshot (BEGIN DEFERRED).
 * Return: 0 or -errno (-EBUSY when another process holds the lock longer
 * than the busy timeout).
 */
static int tx_begin(struct registry *reg, bool write)
{
	char sql[64];
	int sqlrc;

	if (reg->depth == 0) {
		snprintf(sql, sizeof(sql), "%s", write ? "BEGIN IMMEDIATE" : "BEGIN");
	} else {
		/* SQLite rolls back the whole transaction after some errors
		 * (disk full, I/O); a savepoint then would start a new one. */
		if (sqlite3_get_autocommit(reg->db))
			return reg_fail(reg, -EIO, "registry: the transaction was lost after "
					"an earlier error; abort it");
		snprintf(sql, sizeof(sql), "SAVEPOINT lr%d", reg->depth);
	}
	sqlrc = sqlite3_exec(reg->db, sql, NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		return reg_sqlfail(reg, sqlrc);
	reg->depth++;
	return 0;
}

/**
 * tx_abort() - undo what was done since the matching tx_begin().  Keeps
 * the message of the failure that led here.
 */
static void tx_abort(struct registry *reg)
{
	char sql[64];

	if (reg->depth <= 0)
		return;
	reg->depth--;
	if (sqlite3_get_autocommit(reg->db))
		return;		/* SQLite already rolled everything back */
	if (reg->depth == 0)
		snprintf(sql, sizeof(sql), "ROLLBACK");
	else
		snprintf(sql, sizeof(sql), "ROLLBACK TO lr%d; RELEASE lr%d",
			 reg->depth, reg->depth);
	(void)sqlite3_exec(reg->db, sql, NULL, NULL, NULL);
}

/**
 * tx_commit() - end the matching tx_begin(): COMMIT the outermost, RELEASE
 * a savepoint.  On failure everything since that begin is undone.
 * Return: 0 or -errno.
 */
static int tx_commit(struct registry *reg)
{
	char sql[64];
	int sqlrc, rc;

	if (reg->depth <= 0)
		return reg_fail(reg, -EINVAL, "registry: no transaction is open");
	if (sqlite3_get_autocommit(reg->db)) {
		reg->depth--;
		return reg_fail(reg, -EIO, "registry: the transaction was lost after an "
				"earlier error");
	}
	if (reg->depth == 1)
		snprintf(sql, sizeof(sql), "COMMIT");
	else
		snprintf(sql, sizeof(sql), "RELEASE lr%d", reg->depth - 1);
	sqlrc = sqlite3_exec(reg->db, sql, NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK) {
		rc = reg_sqlfail(reg, sqlrc);
		tx_abort(reg);
		return rc;
	}
	reg->depth--;
	return 0;
}

/**
 * tx_end() - commit if @rc is 0, else abort; return @rc or the commit's
 * error.  The usual last line of a function that began a transaction.
 */
static int tx_end(struct registry *reg, int rc)
{
	if (rc < 0) {
		tx_abort(reg);
		return rc;
	}
	return tx_commit(reg);
}

int registry_begin(struct registry *reg)
{
	return tx_begin(reg, true);
}

int registry_commit(struct registry *reg)
{
	return tx_commit(reg);
}

int registry_abort(struct registry *reg)
{
	if (reg->depth <= 0)
		return reg_fail(reg, -EINVAL, "registry: no transaction is open");
	tx_abort(reg);
	return 0;
}

/* ---- opening and migrations ---------------------------------------------- */

/**
 * reg_identify() - decide whether the file is ours.
 * Return: 1 if it is an empty database to initialise, 0 if it is a lanroot
 * registry this program can use (maybe after migrations), or -errno.
 */
static int reg_identify(struct registry *reg, const char *path)
{
	int64_t app = 0, uv = 0, ntables = 0;
	int rc;

	rc = reg_int(reg, &app, "PRAGMA application_id", "");
	if (rc >= 0)
		rc = reg_int(reg, &uv, "PRAGMA user_version", "");
	if (rc >= 0)
		rc = reg_int(reg, &ntables, "SELECT count(*) FROM sqlite_master "
			     "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", "");
	if (rc < 0) {
		if ((reg->last_sqlite & 0xff) == SQLITE_NOTADB)
			return reg_fail(reg, -EINVAL, "%s is not a lanroot registry "
					"(file is not a database)", path);
		if (rc == -EBUSY)
			return rc;
		return reg_fail(reg, rc, "cannot read registry %s: %s", path,
				sqlite3_errmsg(reg->db));
	}
	if (app == REG_APPLICATION_ID) {
		if (uv > REG_SCHEMA_VERSION)
			return reg_fail(reg, -ENOTSUP, "%s: registry schema %lld is newer "
					"than this lanroot (knows %d)", path,
					(long long)uv, REG_SCHEMA_VERSION);
		return 0;
	}
	if (app == 0 && uv == 0 && ntables == 0)
		return 1;
	return reg_fail(reg, -EINVAL, "%s is not a lanroot registry (an SQLite database "
			"of another program: application_id 0x%08llx, user_version %lld)",
			path, (unsigned long long)(uint32_t)app, (long long)uv);
}

/**
 * reg_configure() - per-connection settings: WAL, foreign keys, full
 * synchronous commits (admin data is small; losing a publish is not).
 */
static int reg_configure(struct registry *reg, const char *path)
{
	char mode[16] = "";
	int sqlrc, rc;

	rc = reg_text(reg, mode, sizeof(mode), "PRAGMA journal_mode = WAL", "");
	if (rc < 0)
		return rc;
	if (strcmp(mode, "wal") != 0)
		return reg_fail(reg, -EIO, "cannot put registry %s in WAL mode (got '%s'): "
				"is it on a network file system?", path, mode);
	sqlrc = sqlite3_exec(reg->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL",
			     NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		return reg_sqlfail(reg, sqlrc);
	return 0;
}

/**
 * reg_migrate() - apply the migrations this registry lacks, each in its own
 * write transaction.  The version is read again under the lock, so two
 * processes opening a new registry at once apply each step once.
 */
static int reg_migrate(struct registry *reg, const char *path)
{
	char sql[96];
	int64_t uv;
	int sqlrc, rc;

	for (;;) {
		rc = tx_begin(reg, true);
		if (rc < 0)
			return rc;
		rc = reg_int(reg, &uv, "PRAGMA user_version", "");
		if (rc < 0)
			return tx_end(reg, rc);
		if (uv >= REG_SCHEMA_VERSION) {
			if (uv > REG_SCHEMA_VERSION)
				rc = reg_fail(reg, -ENOTSUP, "%s: registry schema %lld is newer "
					      "than this lanroot (knows %d)", path,
					      (long long)uv, REG_SCHEMA_VERSION);
			return tx_end(reg, rc);
		}
		sqlrc = sqlite3_exec(reg->db, migrations[uv], NULL, NULL, NULL);
		if (sqlrc == SQLITE_OK) {
			snprintf(sql, sizeof(sql),
				 "PRAGMA application_id = %d; PRAGMA user_version = %lld",
				 REG_APPLICATION_ID, (long long)uv + 1);
			sqlrc = sqlite3_exec(reg->db, sql, NULL, NULL, NULL);
		}
		if (sqlrc != SQLITE_OK) {
			rc = reg_sqlfail(reg, sqlrc);
			rc = reg_fail(reg, rc, "%s: migrating the registry to schema %lld "
				      "failed: %s", path, (long long)uv + 1,
				      sqlite3_errmsg(reg->db));
			return tx_end(reg, rc);
		}
		rc = tx_end(reg, 0);
		if (rc < 0)
			return rc;
	}
}

int registry_open(const char *path, struct registry **out, char *err, size_t errlen)
{
	struct registry *reg;
	int sqlrc, rc;

	reg = xcalloc(1, sizeof(*reg));
	if (!path || !*path || !out) {
		rc = reg_fail(reg, -EINVAL, "registry_open: no path given");
		goto err;
	}
	sqlrc = sqlite3_open_v2(path, &reg->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				NULL);
	if (sqlrc != SQLITE_OK) {
		rc = reg->db ? sql_errno(reg, sqlrc) : -ENOMEM;
		reg_fail(reg, rc, "cannot open registry %s: %s", path,
			 reg->db ? sqlite3_errmsg(reg->db) : sqlite3_errstr(sqlrc));
		goto err;
	}
	sqlite3_extended_result_codes(reg->db, 1);
	sqlite3_busy_timeout(reg->db, REG_BUSY_TIMEOUT_MS);

	rc = reg_identify(reg, path);
	if (rc < 0)
		goto err;
	rc = reg_configure(reg, path);
	if (rc < 0)
		goto err;
	rc = reg_migrate(reg, path);
	if (rc < 0)
		goto err;
	reg->err[0] = '\0';
	*out = reg;
	return 0;
err:
	if (err && errlen)
		(void)str_copy(err, errlen, reg->err);
	registry_close(reg);
	return rc;
}

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	while (reg->depth > 0)
		tx_abort(reg);
	for (unsigned i = 0; i < reg->ncache; i++) {
		sqlite3_finalize(reg->cache[i].st);
		free(reg->cache[i].sql);
	}
	if (reg->db)
		sqlite3_close_v2(reg->db);
	free(reg);
}

void registry_set_busy_timeout(struct registry *reg, int ms)
{
	sqlite3_busy_timeout(reg->db, ms < 0 ? 0 : ms);
}

const char *registry_error(const struct registry *reg)
{
	return reg ? reg->err : "registry not open";
}

int registry_schema_version(struct registry *reg)
{
	int64_t uv = 0;
	int rc;

	rc = reg_int(reg, &uv, "PRAGMA user_version", "");
	if (rc < 0)
		return rc;
	return (int)uv;
}

/* ---- checks ------------------------------------------------------------ */

/* IPv4 address classes refused for a reservation (first octet). */
#define IPV4_CLASS_SHIFT 24
#define IPV4_LOOPBACK_NET 127U
#define IPV4_MULTICAST_FIRST 224U

/* A group whose menu names image ?1. */
#define MENU_HAS_IMAGE "instr(',' || g.menu || ',', ',' || ? || ',') > 0"

/**
 * trimmed_n() - the first @n bytes of @s without blanks on either side.
 * Return: the start; *@len its length.
 */
static const char *trimmed_n(const char *s, size_t n, size_t *len)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

/** menu_contains() - whether the canonical menu @menu lists @name. */
static bool menu_contains(const char *menu, const char *name)
{
	char item[NAME_MAX_LEN + 1];
	size_t pos = 0;

	while (registry_menu_next(menu, &pos, item))
		if (strcmp(item, name) == 0)
			return true;
	return false;
}

bool mode_valid(const char *s)
{
	return s && (strcmp(s, MODE_VOLATILE) == 0 || strcmp(s, MODE_PERSISTENT) == 0 ||
		     strcmp(s, MODE_RESET_ON_BOOT) == 0);
}

bool proto_valid(const char *s)
{
	return s && (strcmp(s, PROTO_NBD) == 0 || strcmp(s, PROTO_ISCSI) == 0);
}

/** in_list() - whether @s is one of the @n strings of @list. */
static bool in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/**
 * check_len() - @s (a field of @size bytes) must be terminated inside it.
 * @field: its name for the message
 */
static int check_len(struct registry *reg, const char *field, const char *s, size_t size)
{
	if (strnlen(s, size) >= size)
		return reg_fail(reg, -EINVAL, "%s is too long (at most %zu bytes)", field,
				size - 1);
	return 0;
}

/** check_name() - a valid image/group/client name (@what says which). */
static int check_name(struct registry *reg, const char *what, const char *s, size_t size)
{
	int rc = check_len(reg, what, s, size);

	if (rc < 0)
		return reg_fail(reg, rc, "%s name is too long (at most %d characters)", what,
				NAME_MAX_LEN);
	if (!name_valid(s))
		return reg_fail(reg, -EINVAL, "invalid %s name '%.*s': use 1-%d letters, "
				"digits, '.', '_' or '-', starting with a letter or digit",
				what, NAME_MAX_LEN + 1, s, NAME_MAX_LEN);
	return 0;
}

/**
 * check_cmdline() - a kernel command line fragment: fits, and holds no
 * control characters (it is written into boot loader configs and scripts).
 */
static int check_cmdline(struct registry *reg, const char *field, const char *s, size_t size)
{
	const unsigned char *p;
	int rc = check_len(reg, field, s, size);

	if (rc < 0)
		return rc;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return reg_fail(reg, -EINVAL, "%s contains a control character "
					"(0x%02x)", field, *p);
	return 0;
}

/** check_file_name() - "" or a plain file name (no '/', not . or ..). */
static int check_file_name(struct registry *reg, const char *field, const char *s,
			   size_t size)
{
	int rc = check_len(reg, field, s, size);

	if (rc < 0)
		return rc;
	if (strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return reg_fail(reg, -EINVAL, "invalid %s file name '%s': a plain file name "
				"in the version directory is expected", field, s);
	return 0;
}

/** check_sha256() - "" or 64 lowercase hex digits. */
static int check_sha256(struct registry *reg, const char *s, size_t size)
{
	size_t i, len;
	int rc = check_len(reg, "sha256", s, size);

	if (rc < 0)
		return rc;
	len = strlen(s);
	if (len == 0)
		return 0;
	if (len != SHA256_HEX_LEN)
		return reg_fail(reg, -EINVAL, "invalid sha256 '%s': %d hex digits expected",
				s, SHA256_HEX_LEN);
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return reg_fail(reg, -EINVAL, "invalid sha256 '%s': lowercase hex "
					"digits expected", s);
	return 0;
}

/* ---- audit --------------------------------------------------------------- */

/** audit_who() - $SUDO_USER, else the effective user's name, else "uid N". */
static void audit_who(char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	const char *sudo = getenv("SUDO_USER");
	char buf[4096];

	if (sudo && *sudo) {
		(void)str_copy(out, outlen, sudo);
		return;
	}
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name)
		(void)str_copy(out, outlen, res->pw_name);
	else
		snprintf(out, outlen, "uid %lu", (unsigned long)geteuid());
}

int registry_audit(struct registry *reg, const char *action, const char *detail)
{
	struct reg_audit a;
	int rc;

	if (!action || !*action)
		return reg_fail(reg, -EINVAL, "audit: no action given");
	rc = check_len(reg, "audit action", action, sizeof(a.action));
	if (rc == 0 && detail)
		rc = check_len(reg, "audit detail", detail, sizeof(a.detail));
	if (rc < 0)
		return rc;
	audit_who(a.who, sizeof(a.who));
	now_rfc3339(a.at);
	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = reg_run(reg, "INSERT INTO audit(at, who, action, detail) VALUES (?, ?, ?, ?)",
		     "tttt", a.at, a.who, action, detail);
	return tx_end(reg, rc);
}

static void audit_row(sqlite3_stmt *st, void *elem)
{
	struct reg_audit *a = elem;

	a->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, a->at, sizeof(a->at));
	col_text(st, 2, a->who, sizeof(a->who));
	col_text(st, 3, a->action, sizeof(a->action));
	col_text(st, 4, a->detail, sizeof(a->detail));
}

int registry_audit_list(struct registry *reg, size_t limit, struct reg_audit **out, size_t *n)
{
	sqlite3_stmt *st;
	int64_t lim = (limit == 0 || limit > INT64_MAX) ? -1 : (int64_t)limit;
	int rc;

	rc = reg_prepare(reg, &st, "SELECT id, at, who, action, detail FROM audit "
			 "ORDER BY id DESC LIMIT ?", "I", lim);
	if (rc < 0)
		return rc;
	return reg_collect(reg, st, sizeof(**out), audit_row, (void **)out, n);
}

/* ---- images -------------------------------------------------------------- */

/* The published version of image ?1: its newest publish_history row. */
#define PUBLISHED_OF(image_id) \
	"COALESCE((SELECT h.version FROM publish_history h WHERE h.image_id = " \
	image_id " ORDER BY h.id DESC LIMIT 1), 0)"

#define IMAGE_SELECT \
	"SELECT i.id, i.name, i.created, " PUBLISHED_OF("i.id") ", " \
	"COALESCE((SELECT max(v.version) FROM versions v WHERE v.image_id = i.id), 0), " \
	"(SELECT count(*) FROM versions v WHERE v.image_id = i.id) FROM images i "

static void image_row(sqlite3_stmt *st, void *elem)
{
	struct reg_image *im = elem;

	im->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, im->name, sizeof(im->name));
	col_text(st, 2, im->created, sizeof(im->created));
	im->published = sqlite3_column_int(st, 3);
	im->latest = sqlite3_column_int(st, 4);
	im->nversions = sqlite3_column_int(st, 5);
}

/** image_lookup() - the image named @name, or -ENOENT with a message. */
static int image_lookup(struct registry *reg, const char *name, struct reg_image *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!name)
		return reg_fail(reg, -EINVAL, "no image name given");
	rc = reg_prepare(reg, &st, IMAGE_SELECT "WHERE i.name = ?", "t", name);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = reg_fetch(reg, st, image_row, out);
	if (rc == 0)
		return reg_fail(reg, -ENOENT, "no image named %.*s", NAME_MAX_LEN + 1, name);
	return rc < 0 ? rc : 0;
}

int registry_image_get(struct registry *reg, const char *name, struct reg_image *out)
{
	return image_lookup(reg, name, out);
}

int registry_image_list(struct registry *reg, struct reg_image **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	rc = reg_prepare(reg, &st, IMAGE_SELECT "ORDER BY i.name", "");
	if (rc < 0)
		return rc;
	return reg_collect(reg, st, sizeof(**out), image_row, (void **)out, n);
}

/**
 * join_names() - @names[0..@n) ", "-separated into @out.  When they do not
 * all fit, as many as fit followed by " and N more" (or "N groups").
 */
static void join_names(char *const *names, size_t n, char *out, size_t outlen)
{
	size_t k, i, len;
	char tail[REG_MORE_ROOM];

	for (k = n + 1; k-- > 0;) {
		len = 0;
		for (i = 0; i < k; i++)
			len += (i ? 2 : 0) + strlen(names[i]);
		tail[0] = '\0';
		if (k < n)
			snprintf(tail, sizeof(tail), k ? " and %zu more" : "%zu groups", n - k);
		if (len + strlen(tail) < outlen)
			break;
	}
	if (k == (size_t)-1) {	/* not even the count fits */
		out[0] = '\0';
		return;
	}
	len = 0;
	out[0] = '\0';
	for (i = 0; i < k; i++)
		len += snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", names[i]);
	snprintf(out + len, outlen - len, "%s", tail);
}

/**
 * group_names() - names of groups matching @where (a condition on g with
 * parameters @types …), sorted, into @out (see join_names()).
 * Return: the number of groups, or -errno.
 */
static int group_names(struct registry *reg, char *out, size_t outlen, const char *where,
		       const char *types, ...)
{
	char sql[512], **names = NULL;
	const char *name;
	sqlite3_stmt *st;
	size_t n = 0, i;
	va_list ap;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT g.name FROM groups g WHERE %s ORDER BY g.name",
		 where);
	va_start(ap, types);
	rc = reg_vprepare(reg, &st, sql, types, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	while ((rc = reg_step(reg, st)) == 1) {
		name = (const char *)sqlite3_column_text(st, 0);
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(name ? name : "");
	}
	reg_release(reg, st);
	if (rc == 0) {
		join_names(names, n, out, outlen);
		rc = n > INT_MAX ? INT_MAX : (int)n;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int registry_image_delete(struct registry *reg, const char *name)
{
	struct reg_image im;
	char users[256];
	int rc;

	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = image_lookup(reg, name, &im);
	if (rc < 0)
		goto out;
	if (im.nversions > 0) {
		rc = reg_fail(reg, -EBUSY, "image %s still has %d version%s; delete them "
			      "first", im.name, im.nversions, im.nversions == 1 ? "" : "s");
		goto out;
	}
	rc = group_names(reg, users, sizeof(users), "g.image_id = ?", "I", im.id);
	if (rc > 0)
		rc = reg_fail(reg, -EBUSY, "image %s is used by group(s) %s", im.name, users);
	if (rc < 0)
		goto out;
	rc = group_names(reg, users, sizeof(users), MENU_HAS_IMAGE, "t", im.name);
	if (rc > 0)
		rc = reg_fail(reg, -EBUSY, "image %s is offered in the boot menu of group(s) %s",
			      im.name, users);
	if (rc < 0)
		goto out;
	rc = reg_run(reg, "DELETE FROM images WHERE id = ?", "I", im.id);
out:
	return tx_end(reg, rc);
}

/* ---- versions ------------------------------------------------------------ */

#define VERSION_SELECT \
	"SELECT i.name, v.version, v.size, v.sha256, v.format, v.created, v.parent, " \
	"v.note, v.kernel, v.initrd, v.version = " PUBLISHED_OF("i.id") " " \
	"FROM versions v JOIN images i ON i.id = v.image_id "

static void version_row(sqlite3_stmt *st, void *elem)
{
	struct reg_version *v = elem;

	col_text(st, 0, v->image, sizeof(v->image));
	v->version = sqlite3_column_int(st, 1);
	v->size = (uint64_t)sqlite3_column_int64(st, 2);
	col_text(st, 3, v->sha256, sizeof(v->sha256));
	col_text(st, 4, v->format, sizeof(v->format));
	col_text(st, 5, v->created, sizeof(v->created));
	v->parent = sqlite3_column_int(st, 6);
	col_text(st, 7, v->note, sizeof(v->note));
	col_text(st, 8, v->kernel, sizeof(v->kernel));
	col_text(st, 9, v->initrd, sizeof(v->initrd));
	v->published = sqlite3_column_int(st, 10) != 0;
}

/** check_version() - the checks on a new version's fields (registry.h). */
static int check_version(struct registry *reg, const struct reg_version *v)
{
	int rc;

	rc = check_name(reg, "image", v->image, sizeof(v->image));
	if (rc == 0)
		rc = check_len(reg, "format", v->format, sizeof(v->format));
	if (rc == 0 && !in_list(v->format, formats, ARRAY_SIZE(formats)))
		rc = reg_fail(reg, -EINVAL, "invalid format '%s': ext4, erofs, squashfs or "
			      "raw expected", v->format);
	if (rc == 0)
		rc = check_sha256(reg, v->sha256, sizeof(v->sha256));
	if (rc == 0)
		rc = check_len(reg, "created", v->created, sizeof(v->created));
	if (rc == 0)
		rc = check_len(reg, "note", v->note, sizeof(v->note));
	if (rc == 0)
		rc = check_file_name(reg, "kernel", v->kernel, sizeof(v->kernel));
	if (rc == 0)
		rc = check_file_name(reg, "initrd", v->initrd, sizeof(v->initrd));
	if (rc == 0 && v->parent < 0)
		rc = reg_fail(reg, -EINVAL, "invalid parent version %d", v->parent);
	if (rc == 0 && v->size > INT64_MAX)
		rc = reg_fail(reg, -EINVAL, "invalid size %llu", (unsigned long long)v->size);
	return rc;
}

/**
 * version_insert() - the body of registry_version_add(), inside its
 * transaction: allocate the number, insert the row, publish a first
 * version.  Return: 0 with *@version, or -errno.
 */
static int version_insert(struct registry *reg, const struct reg_version *v, int *version)
{
	char now[REG_TIME_MAX];
	int64_t id = 0, next = 0, published = 0;
	sqlite3_stmt *st;
	int rc;

	now_rfc3339(now);
	rc = reg_prepare(reg, &st, "SELECT id, next_version FROM images WHERE name = ?", "t",
			 v->image);
	if (rc < 0)
		return rc;
	rc = reg_step(reg, st);
	if (rc == 1) {
		id = sqlite3_column_int64(st, 0);
		next = sqlite3_column_int64(st, 1);
	}
	reg_release(reg, st);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		rc = reg_run(reg, "INSERT INTO images(name, next_version, created) "
			     "VALUES (?, 1, ?)", "tt", v->image, now);
		if (rc < 0)
			return rc;
		id = sqlite3_last_insert_rowid(reg->db);
		next = 1;
	}
	if (next < 1 || next >= INT_MAX)
		return reg_fail(reg, -EOVERFLOW, "image %s has run out of version numbers",
				v->image);
	rc = reg_run(reg, "UPDATE images SET next_version = ? WHERE id = ?", "II", next + 1,
		     id);
	if (rc < 0)
		return rc;
	rc = reg_run(reg, "INSERT INTO versions(image_id, version, size, sha256, format, "
		     "created, parent, note, kernel, initrd) "
		     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "IiIttti" "ttt",
		     id, (int)next, (int64_t)v->size, v->sha256, v->format,
		     v->created[0] ? v->created : now, v->parent, v->note, v->kernel,
		     v->initrd);
	if (rc < 0)
		return rc;
	rc = reg_int(reg, &published, "SELECT " PUBLISHED_OF("?"), "I", id);
	if (rc < 0)
		return rc;
	if (published == 0) {
		rc = reg_run(reg, "INSERT INTO publish_history(image_id, version, at) "
			     "VALUES (?, ?, ?)", "Iit", id, (int)next, now);
		if (rc < 0)
			return rc;
	}
	*version = (int)next;
	return 0;
}

int registry_version_add(struct registry *reg, const struct reg_version *v,
			 int (*reserve)(int version, void *arg), void *arg, int *version)
{
	int rc, n = 0;

	if (!v || !version)
		return reg_fail(reg, -EINVAL, "registry_version_add: missing argument");
	rc = check_version(reg, v);
	if (rc < 0)
		return rc;
	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = version_insert(reg, v, &n);
	if (rc == 0 && reserve) {
		rc = reserve(n, arg);
		if (rc > 0)
			rc = -EIO;
		if (rc < 0)
			reg_fail(reg, rc, "could not put version %d of %s in place: %s", n,
				 v->image, strerror(-rc));
	}
	rc = tx_end(reg, rc);
	if (rc == 0)
		*version = n;
	return rc;
}

/** version_lookup() - version @version of @image, or -ENOENT + message. */
static int version_lookup(struct registry *reg, const char *image, int version,
			  struct reg_version *out)
{
	struct reg_image im;
	sqlite3_stmt *st;
	int rc;

	rc = image_lookup(reg, image, &im);
	if (rc < 0)
		return rc;
	rc = reg_prepare(reg, &st, VERSION_SELECT "WHERE v.image_id = ? AND v.version = ?",
			 "Ii", im.id, version);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = reg_fetch(reg, st, version_row, out);
	if (rc == 0)
		return reg_fail(reg, -ENOENT, "image %s has no version %d", im.name, version);
	return rc < 0 ? rc : 0;
}

int registry_version_get(struct registry *reg, const char *image, int version,
			 struct reg_version *out)
{
	return version_lookup(reg, image, version, out);
}

int registry_version_list(struct registry *reg, const char *image, struct reg_version **out,
			  size_t *n)
{
	struct reg_image im;
	sqlite3_stmt *st;
	int rc;

	rc = tx_begin(reg, false);
	if (rc < 0)
		return rc;
	rc = image_lookup(reg, image, &im);
	if (rc == 0)
		rc = reg_prepare(reg, &st, VERSION_SELECT "WHERE v.image_id = ? "
				 "ORDER BY v.version", "I", im.id);
	if (rc == 0)
		rc = reg_collect(reg, st, sizeof(**out), version_row, (void **)out, n);
	return tx_end(reg, rc);
}

/**
 * version_users() - groups booting version @version of image @image_id
 * (published one: @published) now, into @out.  Return: count or -errno.
 */
static int version_users(struct registry *reg, int64_t image_id, int version, int published,
			 char *out, size_t outlen)
{
	return group_names(reg, out, outlen, "g.image_id = ?1 AND (g.version = ?2 OR "
			   "(g.version = 0 AND ?2 = ?3))", "Iii", image_id, version, published);
}

int registry_version_users(struct registry *reg, const char *image, int version, char *out,
			   size_t outlen)
{
	struct reg_version v;
	struct reg_image im;
	int rc;

	if (!out || outlen == 0)
		return reg_fail(reg, -EINVAL, "registry_version_users: no buffer");
	rc = tx_begin(reg, false);
	if (rc < 0)
		return rc;
	rc = version_lookup(reg, image, version, &v);
	if (rc == 0)
		rc = image_lookup(reg, image, &im);
	if (rc == 0)
		rc = version_users(reg, im.id, version, im.published, out, outlen);
	return tx_end(reg, rc < 0 ? rc : 0);
}

int registry_version_delete(struct registry *reg, const char *image, int version)
{
	struct reg_version v;
	struct reg_image im;
	char users[256];
	int rc;

	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = version_lookup(reg, image, version, &v);
	if (rc == 0)
		rc = image_lookup(reg, image, &im);
	if (rc < 0)
		goto out;
	if (im.published == version && im.nversions > 1) {
		rc = reg_fail(reg, -EBUSY, "version %d of %s is the published version; "
			      "publish another first", version, im.name);
		goto out;
	}
	rc = version_users(reg, im.id, version, im.published, users, sizeof(users));
	if (rc > 0)
		rc = reg_fail(reg, -EBUSY, "version %d of %s is in use by group(s) %s",
			      version, im.name, users);
	if (rc < 0)
		goto out;
	/* Its publish_history rows go with it (ON DELETE CASCADE). */
	rc = reg_run(reg, "DELETE FROM versions WHERE image_id = ? AND version = ?", "Ii",
		     im.id, version);
out:
	return tx_end(reg, rc);
}

int registry_publish(struct registry *reg, const char *image, int version)
{
	struct reg_version v;
	struct reg_image im;
	char now[REG_TIME_MAX];
	int rc;

	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = version_lookup(reg, image, version, &v);
	if (rc == 0)
		rc = image_lookup(reg, image, &im);
	if (rc == 0 && im.published != version) {
		now_rfc3339(now);
		rc = reg_run(reg, "INSERT INTO publish_history(image_id, version, at) "
			     "VALUES (?, ?, ?)", "Iit", im.id, version, now);
	}
	return tx_end(reg, rc);
}

int registry_rollback(struct registry *reg, const char *image, int *now)
{
	struct reg_image im;
	sqlite3_stmt *st;
	int64_t row = 0;
	int rc, prev = 0;

	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = image_lookup(reg, image, &im);
	if (rc < 0)
		goto out;
	/* The newest earlier entry naming another version still present. */
	rc = reg_prepare(reg, &st, "SELECT h.id, h.version FROM publish_history h "
			 "JOIN versions v ON v.image_id = h.image_id AND v.version = h.version "
			 "WHERE h.image_id = ? AND h.version != ? ORDER BY h.id DESC LIMIT 1",
			 "Ii", im.id, im.published);
	if (rc < 0)
		goto out;
	rc = reg_step(reg, st);
	if (rc == 1) {
		row = sqlite3_column_int64(st, 0);
		prev = sqlite3_column_int(st, 1);
	}
	reg_release(reg, st);
	if (rc == 0)
		rc = reg_fail(reg, -ENOENT, "image %s has no earlier published version to "
			      "roll back to", im.name);
	if (rc < 0)
		goto out;
	/* Pop the history back to that entry. */
	rc = reg_run(reg, "DELETE FROM publish_history WHERE image_id = ? AND id > ?", "II",
		     im.id, row);
out:
	rc = tx_end(reg, rc);
	if (rc == 0 && now)
		*now = prev;
	return rc;
}

/* ---- groups -------------------------------------------------------------- */

#define GROUP_SELECT \
	"SELECT g.name, i.name, g.version, g.mode, g.proto, g.cmdline, g.loader, g.menu " \
	"FROM groups g JOIN images i ON i.id = g.image_id "

static void group_row(sqlite3_stmt *st, void *elem)
{
	struct reg_group *g = elem;

	col_text(st, 0, g->name, sizeof(g->name));
	col_text(st, 1, g->image, sizeof(g->image));
	g->version = sqlite3_column_int(st, 2);
	col_text(st, 3, g->mode, sizeof(g->mode));
	col_text(st, 4, g->proto, sizeof(g->proto));
	col_text(st, 5, g->cmdline, sizeof(g->cmdline));
	col_text(st, 6, g->loader, sizeof(g->loader));
	col_text(st, 7, g->menu, sizeof(g->menu));
}

bool registry_menu_next(const char *menu, size_t *pos, char name[NAME_MAX_LEN + 1])
{
	const char *p, *end;
	size_t len;

	if (!menu || !pos || *pos >= strlen(menu))
		return false;
	p = menu + *pos;
	end = strchr(p, ',');
	len = end ? (size_t)(end - p) : strlen(p);
	*pos += len + (end ? 1 : 0);
	if (len > NAME_MAX_LEN)
		len = NAME_MAX_LEN;	/* stored menus are checked: never happens */
	memcpy(name, p, len);
	name[len] = '\0';
	return true;
}

/**
 * menu_check() - check the menu list @in (names separated by commas,
 * blanks around them ignored) and write it canonical into @out
 * (REG_MENU_MAX bytes): every image exists, none repeats, at most
 * REG_MENU_ITEMS_MAX.  Runs inside the caller's transaction.
 */
static int menu_check(struct registry *reg, const char *in, char *out)
{
	char name[NAME_MAX_LEN + 2];
	struct reg_image im;
	const char *p = in, *end, *s;
	size_t len, used = 0, items = 0;
	int rc;

	out[0] = '\0';
	while (*p) {
		end = strchr(p, ',');
		s = trimmed_n(p, end ? (size_t)(end - p) : strlen(p), &len);
		if (len == 0)
			return reg_fail(reg, -EINVAL, "invalid boot menu '%s': an empty image "
					"name", in);
		if (len > NAME_MAX_LEN)
			return reg_fail(reg, -EINVAL, "invalid boot menu: image name '%.*s' is "
					"too long", (int)len, s);
		memcpy(name, s, len);
		name[len] = '\0';
		if (!name_valid(name))
			return reg_fail(reg, -EINVAL, "invalid boot menu: '%s' is not an image "
					"name", name);
		rc = image_lookup(reg, name, &im);
		if (rc == -ENOENT)
			return reg_fail(reg, rc, "boot menu: no image named %s", name);
		if (rc < 0)
			return rc;
		if (menu_contains(out, name))
			return reg_fail(reg, -EINVAL, "invalid boot menu: image %s is listed "
					"twice", name);
		if (++items > REG_MENU_ITEMS_MAX)
			return reg_fail(reg, -EINVAL, "invalid boot menu: more than %d images",
					REG_MENU_ITEMS_MAX);
		if (used + len + 2 > REG_MENU_MAX)
			return reg_fail(reg, -EINVAL, "boot menu is too long (at most %d bytes)",
					REG_MENU_MAX - 1);
		used += (size_t)snprintf(out + used, REG_MENU_MAX - used, "%s%s",
					 used ? "," : "", name);
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return reg_fail(reg, -EINVAL, "invalid boot menu '%s': an empty image "
					"name", in);
	}
	return 0;
}

/**
 * group_check() - validate @g and fill in its defaults into @out; look up
 * its image (*@image_id).  Runs inside the caller's transaction.
 */
static int group_check(struct registry *reg, const struct reg_group *g, struct reg_group *out,
		       int64_t *image_id)
{
	struct reg_version v;
	struct reg_image im;
	int rc;

	*out = *g;
	rc = check_name(reg, "group", g->name, sizeof(g->name));
	if (rc == 0)
		rc = check_len(reg, "image name", g->image, sizeof(g->image));
	if (rc == 0)
		rc = check_len(reg, "mode", g->mode, sizeof(g->mode));
	if (rc == 0)
		rc = check_len(reg, "protocol", g->proto, sizeof(g->proto));
	if (rc == 0)
		rc = check_len(reg, "loader", g->loader, sizeof(g->loader));
	if (rc == 0)
		rc = check_cmdline(reg, "group command line", g->cmdline, sizeof(g->cmdline));
	if (rc == 0)
		rc = check_len(reg, "boot menu", g->menu, sizeof(g->menu));
	if (rc < 0)
		return rc;
	if (!out->mode[0])
		snprintf(out->mode, sizeof(out->mode), "%s", REG_DEFAULT_MODE);
	if (!out->proto[0])
		snprintf(out->proto, sizeof(out->proto), "%s", REG_DEFAULT_PROTO);
	if (!out->loader[0])
		snprintf(out->loader, sizeof(out->loader), "%s", REG_DEFAULT_LOADER);
	if (!mode_valid(out->mode))
		return reg_fail(reg, -EINVAL, "invalid mode '%s': volatile, persistent or "
				"reset-on-boot expected", out->mode);
	if (!proto_valid(out->proto))
		return reg_fail(reg, -EINVAL, "invalid protocol '%s': nbd or iscsi expected",
				out->proto);
	if (!in_list(out->loader, loaders, ARRAY_SIZE(loaders)))
		return reg_fail(reg, -EINVAL, "invalid boot loader '%s': auto, pxelinux, ipxe "
				"or grub expected", out->loader);
	if (g->version < 0)
		return reg_fail(reg, -EINVAL, "invalid version %d", g->version);
	rc = image_lookup(reg, g->image, &im);
	if (rc < 0)
		return rc;
	if (g->version > 0) {
		rc = version_lookup(reg, g->image, g->version, &v);
		if (rc < 0)
			return rc;
	}
	rc = menu_check(reg, g->menu, out->menu);
	if (rc < 0)
		return rc;
	*image_id = im.id;
	return 0;
}

/** group_lookup() - the group named @name, or -ENOENT + message. */
static int group_lookup(struct registry *reg, const char *name, struct reg_group *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!name)
		return reg_fail(reg, -EINVAL, "no group name given");
	rc = reg_prepare(reg, &st, GROUP_SELECT "WHERE g.name = ?", "t", name);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = reg_fetch(reg, st, group_row, out);
	if (rc == 0)
		return reg_fail(reg, -ENOENT, "no group named %.*s", NAME_MAX_LEN + 1, name);
	return rc < 0 ? rc : 0;
}

int registry_group_add(struct registry *reg, const struct reg_group *g)
{
	struct reg_group ng, old;
	char now[REG_TIME_MAX];
	int64_t image_id = 0;
	int rc;

	if (!g)
		return reg_fail(reg, -EINVAL, "registry_group_add: no group given");
	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = group_check(reg, g, &ng, &image_id);
	if (rc < 0)
		goto out;
	rc = group_lookup(reg, ng.name, &old);
	if (rc == 0) {
		rc = reg_fail(reg, -EEXIST, "group %s already exists", ng.name);
		goto out;
	}
	if (rc != -ENOENT)
		goto out;
	now_rfc3339(now);
	rc = reg_run(reg, "INSERT INTO groups(name, image_id, version, mode, proto, cmdline, "
		     "loader, created, menu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "tIitttt" "tt",
		     ng.name, image_id, ng.version, ng.mode, ng.proto, ng.cmdline, ng.loader,
		     now, ng.menu);
out:
	return tx_end(reg, rc);
}

int registry_group_get(struct registry *reg, const char *name, struct reg_group *out)
{
	return group_lookup(reg, name, out);
}

int registry_group_list(struct registry *reg, struct reg_group **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	rc = reg_prepare(reg, &st, GROUP_SELECT "ORDER BY g.name", "");
	if (rc < 0)
		return rc;
	return reg_collect(reg, st, sizeof(**out), group_row, (void **)out, n);
}

int registry_group_set(struct registry *reg, const struct reg_group *g)
{
	struct reg_group ng, old;
	int64_t image_id = 0;
	int rc;

	if (!g)
		return reg_fail(reg, -EINVAL, "registry_group_set: no group given");
	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = group_lookup(reg, g->name, &old);
	if (rc == 0)
		rc = group_check(reg, g, &ng, &image_id);
	if (rc == 0)
		rc = reg_run(reg, "UPDATE groups SET image_id = ?, version = ?, mode = ?, "
			     "proto = ?, cmdline = ?, loader = ?, menu = ? WHERE name = ?",
			     "Iitttttt", image_id, ng.version, ng.mode, ng.proto, ng.cmdline,
			     ng.loader, ng.menu, ng.name);
	return tx_end(reg, rc);
}

int registry_group_delete(struct registry *reg, const char *name)
{
	struct reg_group g;
	int64_t nclients = 0;
	int rc;

	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = group_lookup(reg, name, &g);
	if (rc == 0)
		rc = reg_int(reg, &nclients, "SELECT count(*) FROM clients c JOIN groups g "
			     "ON g.id = c.group_id WHERE g.name = ?", "t", g.name);
	if (rc >= 0 && nclients > 0)
		rc = reg_fail(reg, -EBUSY, "group %s has %lld client%s; move or delete them "
			      "first", g.name, (long long)nclients, nclients == 1 ? "" : "s");
	if (rc >= 0)
		rc = reg_run(reg, "DELETE FROM groups WHERE name = ?", "t", g.name);
	return tx_end(reg, rc);
}

int registry_group_version(struct registry *reg, const struct reg_group *g, int *version)
{
	struct reg_image im;
	int rc;

	if (!g || !version)
		return reg_fail(reg, -EINVAL, "registry_group_version: missing argument");
	if (g->version > 0) {
		*version = g->version;
		return 0;
	}
	rc = image_lookup(reg, g->image, &im);
	if (rc < 0)
		return rc;
	if (im.published == 0)
		return reg_fail(reg, -ENOENT, "image %s has no published version", im.name);
	*version = im.published;
	return 0;
}

/* ---- clients ------------------------------------------------------------- */

#define CLIENT_SELECT \
	"SELECT c.mac, c.name, g.name, c.mode, c.cmdline, c.created, c.ip " \
	"FROM clients c JOIN groups g ON g.id = c.group_id "

static void client_row(sqlite3_stmt *st, void *elem)
{
	struct reg_client *c = elem;

	col_text(st, 0, c->mac, sizeof(c->mac));
	col_text(st, 1, c->name, sizeof(c->name));
	col_text(st, 2, c->group, sizeof(c->group));
	col_text(st, 3, c->mode, sizeof(c->mode));
	col_text(st, 4, c->cmdline, sizeof(c->cmdline));
	col_text(st, 5, c->created, sizeof(c->created));
	col_text(st, 6, c->ip, sizeof(c->ip));
}

/**
 * check_ip() - "" or a unicast IPv4 address for a reservation, written
 * canonical (dotted quad) into @out (REG_IP_MAX bytes).
 */
static int check_ip(struct registry *reg, const char *in, char *out)
{
	struct in_addr a;
	uint32_t h;

	out[0] = '\0';
	if (!in[0])
		return 0;
	if (inet_pton(AF_INET, in, &a) != 1)
		return reg_fail(reg, -EINVAL, "invalid IPv4 address '%s'", in);
	h = ntohl(a.s_addr);
	if (h == 0 || h == UINT32_MAX || (h >> IPV4_CLASS_SHIFT) == IPV4_LOOPBACK_NET ||
	    (h >> IPV4_CLASS_SHIFT) >= IPV4_MULTICAST_FIRST)
		return reg_fail(reg, -EINVAL, "invalid IPv4 address '%s' for a client: not "
				"a unicast address", in);
	if (!inet_ntop(AF_INET, &a, out, REG_IP_MAX))
		return reg_fail(reg, -EINVAL, "invalid IPv4 address '%s'", in);
	return 0;
}

/**
 * ip_taken() - -EEXIST (+ message) if another client than @mac reserves
 * @ip; 0 if free or "" (nothing to check).
 */
static int ip_taken(struct registry *reg, const char *ip, const char *mac)
{
	char other[NAME_MAX_LEN + 1];
	int rc;

	if (!ip[0])
		return 0;
	rc = reg_text(reg, other, sizeof(other), "SELECT name FROM clients WHERE ip = ? "
		      "AND mac != ?", "tt", ip, mac);
	if (rc == 1)
		return reg_fail(reg, -EEXIST, "IP address %s is already reserved for client %s",
				ip, other);
	return rc;
}

/**
 * client_lookup() - the client named @key, else the one whose MAC @key is
 * (any notation), or -ENOENT + message.
 */
static int client_lookup(struct registry *reg, const char *key, struct reg_client *out)
{
	char mac[MAC_STR_LEN];
	sqlite3_stmt *st;
	int rc;

	if (!key)
		return reg_fail(reg, -EINVAL, "no client name or MAC given");
	memset(out, 0, sizeof(*out));
	rc = reg_prepare(reg, &st, CLIENT_SELECT "WHERE c.name = ?", "t", key);
	if (rc < 0)
		return rc;
	rc = reg_fetch(reg, st, client_row, out);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (mac_canonical(key, mac) == 0) {
		rc = reg_prepare(reg, &st, CLIENT_SELECT "WHERE c.mac = ?", "t", mac);
		if (rc < 0)
			return rc;
		rc = reg_fetch(reg, st, client_row, out);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return reg_fail(reg, -ENOENT, "no client named or with MAC %.*s", NAME_MAX_LEN + 1,
			key);
}

/**
 * client_check() - validate @c into @out (MAC canonical) and look up its
 * group (*@group_id).  Runs inside the caller's transaction.
 */
static int client_check(struct registry *reg, const struct reg_client *c,
			struct reg_client *out, int64_t *group_id)
{
	uint8_t mac[MAC_LEN];
	int64_t id = 0;
	int rc;

	*out = *c;
	rc = check_len(reg, "MAC address", c->mac, sizeof(c->mac));
	if (rc == 0 && mac_canonical(c->mac, out->mac) < 0)
		rc = reg_fail(reg, -EINVAL, "invalid MAC address '%s'", c->mac);
	if (rc == 0)
		rc = check_name(reg, "client", c->name, sizeof(c->name));
	if (rc == 0 && mac_parse(c->name, mac) == 0)
		rc = reg_fail(reg, -EINVAL, "invalid client name '%s': it reads as a MAC "
			      "address", c->name);
	if (rc == 0)
		rc = check_len(reg, "group name", c->group, sizeof(c->group));
	if (rc == 0)
		rc = check_len(reg, "mode", c->mode, sizeof(c->mode));
	if (rc == 0 && c->mode[0] && !mode_valid(c->mode))
		rc = reg_fail(reg, -EINVAL, "invalid mode '%s': volatile, persistent or "
			      "reset-on-boot expected", c->mode);
	if (rc == 0)
		rc = check_cmdline(reg, "client command line", c->cmdline, sizeof(c->cmdline));
	if (rc == 0)
		rc = check_len(reg, "created", c->created, sizeof(c->created));
	if (rc == 0)
		rc = check_len(reg, "IP address", c->ip, sizeof(c->ip));
	if (rc == 0)
		rc = check_ip(reg, c->ip, out->ip);
	if (rc == 0)
		rc = ip_taken(reg, out->ip, out->mac);
	if (rc < 0)
		return rc;
	rc = reg_int(reg, &id, "SELECT id FROM groups WHERE name = ?", "t", c->group);
	if (rc == 0)
		return reg_fail(reg, -ENOENT, "no group named %s", c->group);
	if (rc < 0)
		return rc;
	*group_id = id;
	return 0;
}

int registry_client_add(struct registry *reg, const struct reg_client *c)
{
	struct reg_client nc;
	char other[NAME_MAX_LEN + 1], now[REG_TIME_MAX];
	int64_t group_id = 0;
	int rc;

	if (!c)
		return reg_fail(reg, -EINVAL, "registry_client_add: no client given");
	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = client_check(reg, c, &nc, &group_id);
	if (rc < 0)
		goto out;
	rc = reg_text(reg, other, sizeof(other), "SELECT name FROM clients WHERE mac = ?", "t",
		      nc.mac);
	if (rc == 1)
		rc = reg_fail(reg, -EEXIST, "MAC %s is already client %s", nc.mac, other);
	if (rc < 0)
		goto out;
	rc = reg_text(reg, other, sizeof(other), "SELECT mac FROM clients WHERE name = ?", "t",
		      nc.name);
	if (rc == 1)
		rc = reg_fail(reg, -EEXIST, "client %s already exists (MAC %s)", nc.name, other);
	if (rc < 0)
		goto out;
	now_rfc3339(now);
	rc = reg_run(reg, "INSERT INTO clients(mac, name, group_id, mode, cmdline, created, ip) "
		     "VALUES (?, ?, ?, ?, ?, ?, ?)", "ttIttt" "t", nc.mac, nc.name, group_id,
		     nc.mode, nc.cmdline, nc.created[0] ? nc.created : now, nc.ip);
out:
	return tx_end(reg, rc);
}

int registry_client_get(struct registry *reg, const char *name_or_mac, struct reg_client *out)
{
	return client_lookup(reg, name_or_mac, out);
}

int registry_client_by_ip(struct registry *reg, const char *ip, struct reg_client *out)
{
	char canon[REG_IP_MAX];
	sqlite3_stmt *st;
	int rc;

	if (!ip || !out)
		return reg_fail(reg, -EINVAL, "registry_client_by_ip: missing argument");
	rc = check_len(reg, "IP address", ip, REG_IP_MAX);
	if (rc == 0)
		rc = check_ip(reg, ip, canon);
	if (rc < 0)
		return rc;
	if (!canon[0])
		return reg_fail(reg, -EINVAL, "no IP address given");
	rc = reg_prepare(reg, &st, CLIENT_SELECT "WHERE c.ip = ?", "t", canon);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = reg_fetch(reg, st, client_row, out);
	if (rc == 0)
		return reg_fail(reg, -ENOENT, "no client reserves IP address %s", canon);
	return rc < 0 ? rc : 0;
}

int registry_client_list(struct registry *reg, struct reg_client **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	rc = reg_prepare(reg, &st, CLIENT_SELECT "ORDER BY c.name", "");
	if (rc < 0)
		return rc;
	return reg_collect(reg, st, sizeof(**out), client_row, (void **)out, n);
}

int registry_client_set(struct registry *reg, const struct reg_client *c)
{
	struct reg_client nc;
	char other[MAC_STR_LEN];
	int64_t group_id = 0, exists = 0;
	int rc;

	if (!c)
		return reg_fail(reg, -EINVAL, "registry_client_set: no client given");
	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = client_check(reg, c, &nc, &group_id);
	if (rc < 0)
		goto out;
	rc = reg_int(reg, &exists, "SELECT 1 FROM clients WHERE mac = ?", "t", nc.mac);
	if (rc == 0)
		rc = reg_fail(reg, -ENOENT, "no client with MAC %s", nc.mac);
	if (rc < 0)
		goto out;
	rc = reg_text(reg, other, sizeof(other), "SELECT mac FROM clients WHERE name = ? "
		      "AND mac != ?", "tt", nc.name, nc.mac);
	if (rc == 1)
		rc = reg_fail(reg, -EEXIST, "client %s already exists (MAC %s)", nc.name, other);
	if (rc < 0)
		goto out;
	rc = reg_run(reg, "UPDATE clients SET name = ?, group_id = ?, mode = ?, cmdline = ?, "
		     "ip = ? WHERE mac = ?", "tItttt", nc.name, group_id, nc.mode, nc.cmdline,
		     nc.ip, nc.mac);
out:
	return tx_end(reg, rc);
}

int registry_client_delete(struct registry *reg, const char *name_or_mac)
{
	struct reg_client c;
	int rc;

	rc = tx_begin(reg, true);
	if (rc < 0)
		return rc;
	rc = client_lookup(reg, name_or_mac, &c);
	if (rc == 0)
		rc = reg_run(reg, "DELETE FROM clients WHERE mac = ?", "t", c.mac);
	return tx_end(reg, rc);
}

/** trimmed() - @s without leading blanks; *@len = length without trailing. */
static const char *trimmed(const char *s, size_t *len)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

int registry_client_resolve(struct registry *reg, const char *name_or_mac,
			    struct reg_resolved *out)
{
	const char *gc, *cc;
	size_t glen, clen;
	int rc, version = 0;

	if (!out)
		return reg_fail(reg, -EINVAL, "registry_client_resolve: no result buffer");
	memset(out, 0, sizeof(*out));
	/* One read snapshot, so a concurrent publish is seen whole or not. */
	rc = tx_begin(reg, false);
	if (rc < 0)
		return rc;
	rc = client_lookup(reg, name_or_mac, &out->client);
	if (rc == 0)
		rc = group_lookup(reg, out->client.group, &out->group);
	if (rc == 0)
		rc = registry_group_version(reg, &out->group, &version);
	if (rc == 0)
		rc = version_lookup(reg, out->group.image, version, &out->version);
	rc = tx_end(reg, rc);
	if (rc < 0)
		return rc;
	snprintf(out->mode, sizeof(out->mode), "%s",
		 out->client.mode[0] ? out->client.mode : out->group.mode);
	gc = trimmed(out->group.cmdline, &glen);
	cc = trimmed(out->client.cmdline, &clen);
	snprintf(out->cmdline, sizeof(out->cmdline), "%.*s%s%.*s", (int)glen, gc,
		 glen && clen ? " " : "", (int)clen, cc);
	return 0;
}
