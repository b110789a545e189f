/* The packed file-tree image of --fs: written by the supervisor from a host directory, checked and parsed by the VMM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux_fs.h"
#include "util.h"

#define PATH_MAX_PACK 4096 /* host paths below --fs, relative */

_Static_assert(sizeof(struct fsimage_header) == 56, "fsimage header layout");
_Static_assert(sizeof(struct fsimage_node) == 48, "fsimage node layout");

/* ---- parsing (VMM) ---- */

static int name_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* [off, off+len) inside [base, base+size)? Overflow-safe. */
static bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	uint64_t end;
	return !add_overflows(off, len, &end) && end <= size;
}

static int check_node(const struct fsimage_header *h, const struct fsimage_node *n, uint32_t i,
		      const uint8_t *image, char *err, size_t errlen)
{
	uint32_t type = n->mode & S_IFMT;
	if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK)
		return err_fmt(err, errlen, "fs image: node %u has unknown type 0%o", i, type);
	if (i == 0) {
		if (type != S_IFDIR || n->parent != 0 || n->name_len != 0)
			return err_fmt(err, errlen, "fs image: node 0 is not a root directory");
	} else {
		if (n->parent >= i)
			return err_fmt(err, errlen, "fs image: node %u comes before its parent %u",
				       i, n->parent);
		if (n->name_len == 0 || n->name_len > FSIMAGE_NAME_MAX ||
		    !range_ok(n->name_off, n->name_len, h->strings_size))
			return err_fmt(err, errlen, "fs image: node %u has a bad name", i);
		const char *name = (const char *)image + h->strings_off + n->name_off;
		if (memchr(name, '/', n->name_len) || memchr(name, '\0', n->name_len) ||
		    (n->name_len == 1 && name[0] == '.') ||
		    (n->name_len == 2 && name[0] == '.' && name[1] == '.'))
			return err_fmt(err, errlen, "fs image: node %u has a bad name", i);
	}
	if (type == S_IFDIR && n->size != 0)
		return err_fmt(err, errlen, "fs image: directory node %u has data", i);
	if (type != S_IFDIR && !range_ok(n->data_off, n->size, h->data_size))
		return err_fmt(err, errlen, "fs image: node %u data runs past the data section", i);
	if (type == S_IFLNK) {
		if (n->size == 0 || n->size > FSIMAGE_LINK_MAX ||
		    memchr(image + h->data_off + n->data_off, '\0', n->size))
			return err_fmt(err, errlen, "fs image: node %u has a bad symlink target",
				       i);
	}
	if (n->mtime_nsec >= 1000000000u)
		return err_fmt(err, errlen, "fs image: node %u has a bad time", i);
	return 0;
}

int linux_fs_parse(struct linux_fs *fs, const uint8_t *image, uint64_t size, uint64_t tmp_limit,
		   char *err, size_t errlen)
{
	static const uint8_t empty[sizeof(struct fsimage_header) + sizeof(struct fsimage_node)] = {
	    'L', 'V', 'F', 'S', 'I', 'M', 'G', '1', 1, 0, 0, 0, 1, 0, 0, 0,
	    /* strings at 104, empty; data at 104, empty; total 104 */
	    104, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 104, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 104, 0, 0, 0, 0, 0, 0, 0,
	    /* root node */
	    0, 0, 0, 0, 0xED, 0x41, 0, 0};
	memset(fs, 0, sizeof(*fs));
	if (size == 0) {
		image = empty;
		size = sizeof(empty);
	}
	struct fsimage_header h;
	if (size < sizeof(h))
		return err_fmt(err, errlen, "fs image: %llu bytes is too small for a header",
			       (unsigned long long)size);
	memcpy(&h, image, sizeof(h));
	if (memcmp(h.magic, FSIMAGE_MAGIC, sizeof(h.magic)) != 0)
		return err_fmt(err, errlen, "fs image: bad magic");
	if (h.version != FSIMAGE_VERSION)
		return err_fmt(err, errlen, "fs image: version %u, want %u", h.version,
			       FSIMAGE_VERSION);
	if (h.total_size != size || size > FSIMAGE_MAX_SIZE)
		return err_fmt(err, errlen, "fs image: size field %llu but %llu bytes",
			       (unsigned long long)h.total_size, (unsigned long long)size);
	if (h.node_count == 0 || h.node_count > FSIMAGE_MAX_NODES)
		return err_fmt(err, errlen, "fs image: %u nodes (1 to %u allowed)", h.node_count,
			       FSIMAGE_MAX_NODES);
	uint64_t nodes_end = sizeof(h) + (uint64_t)h.node_count * sizeof(struct fsimage_node);
	if (nodes_end > size || h.strings_off < nodes_end ||
	    !range_ok(h.strings_off, h.strings_size, size) || h.data_off < nodes_end ||
	    !range_ok(h.data_off, h.data_size, size))
		return err_fmt(err, errlen, "fs image: sections overlap or run past the end");

	fs->nodes = calloc(h.node_count, sizeof(*fs->nodes));
	uint8_t *depth = calloc(h.node_count, 1);
	if (!fs->nodes || !depth) {
		free(depth);
		linux_fs_free(fs);
		return err_fmt(err, errlen, "fs image: out of memory for %u nodes", h.node_count);
	}
	struct fsimage_node prev = {0};
	for (uint32_t i = 0; i < h.node_count; i++) {
		struct fsimage_node n;
		memcpy(&n, image + sizeof(h) + (uint64_t)i * sizeof(n), sizeof(n));
		if (check_node(&h, &n, i, image, err, errlen) < 0)
			goto bad;
		struct linux_node *node = &fs->nodes[i];
		if (i > 0) {
			struct linux_node *parent = &fs->nodes[n.parent];
			if ((parent->mode & S_IFMT) != S_IFDIR) {
				err_fmt(err, errlen,
					"fs image: parent of node %u is not a directory", i);
				goto bad;
			}
			const char *name = (const char *)image + h.strings_off + n.name_off;
			if (i > 1 && (n.parent < prev.parent ||
				      (n.parent == prev.parent &&
				       name_compare(fs->nodes[i - 1].name, prev.name_len, name,
						    n.name_len) >= 0))) {
				err_fmt(err, errlen,
					"fs image: node %u is out of order or a duplicate", i);
				goto bad;
			}
			depth[i] = (uint8_t)(depth[n.parent] + 1);
			if (depth[i] > FSIMAGE_MAX_DEPTH) {
				err_fmt(err, errlen, "fs image: node %u is nested too deep", i);
				goto bad;
			}
			if (parent->child_count == 0)
				parent->first_child = i;
			parent->child_count++;
			node->parent = parent;
			node->name = name;
			node->name_len = n.name_len;
		} else {
			node->parent = node;
			node->name = "";
		}
		node->mode = n.mode & (S_IFMT | 07777);
		node->ino = (uint64_t)i + 2;
		node->size = n.size;
		node->mtime_sec = n.mtime_sec;
		node->mtime_nsec = n.mtime_nsec;
		/* check_node() checked the data range of files and links only */
		node->data = S_ISDIR(n.mode) ? NULL : image + h.data_off + n.data_off;
		node->refs = 1;
		prev = n;
	}
	free(depth);
	fs->image = image;
	fs->image_size = size;
	fs->node_count = h.node_count;
	fs->root = &fs->nodes[0];
	fs->tmp_limit = tmp_limit;
	fs->next_ino = (uint64_t)h.node_count + 2;
	/* /tmp replaces any "tmp" of the image: a writable, empty directory. */
	fs->tmp = calloc(1, sizeof(*fs->tmp));
	if (!fs->tmp) {
		linux_fs_free(fs);
		return err_fmt(err, errlen, "fs image: out of memory");
	}
	*fs->tmp = (struct linux_node){.mode = S_IFDIR | 01777,
				       .ino = fs->next_ino++,
				       .parent = fs->root,
				       .name = "tmp",
				       .name_len = 3,
				       .writable = true,
				       .refs = 1};
	return 0;
bad:
	free(depth);
	linux_fs_free(fs);
	return -1;
}

/* ---- packing (supervisor) ---- */

struct pack_node {
	struct fsimage_node n;
	char *path; /* relative to the root directory */
	uint32_t depth;
};

struct pack {
	int root_fd;
	struct pack_node *nodes;
	uint32_t count, cap;
	char *strings;
	uint64_t strings_size, strings_cap;
	uint64_t data_size;
	char *err;
	size_t errlen;
};

static int entry_compare(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return name_compare(x, strlen(x), y, strlen(y));
}

static int pack_open(struct pack *p, const char *rel, int flags)
{
	struct open_how how = {
	    /* openat2 refuses O_PATH with other flags than these */
	    .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, p->root_fd, rel[0] ? rel : ".", &how, sizeof(how));
}

static int pack_add(struct pack *p, uint32_t parent, const char *name, const struct stat *st,
		    const char *path, uint32_t depth)
{
	if (p->count == FSIMAGE_MAX_NODES)
		return err_fmt(p->err, p->errlen, "--fs: more than %u entries", FSIMAGE_MAX_NODES);
	if (p->count == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 256;
		struct pack_node *grown = realloc(p->nodes, cap * sizeof(*grown));
		if (!grown)
			return err_fmt(p->err, p->errlen, "--fs: out of memory");
		p->nodes = grown;
		p->cap = cap;
	}
	size_t len = strlen(name);
	if (len > FSIMAGE_NAME_MAX)
		return err_fmt(p->err, p->errlen, "--fs: name too long in %s", path);
	if (p->strings_size + len > p->strings_cap) {
		uint64_t cap = (p->strings_cap + len) * 2 + 4096;
		char *grown = realloc(p->strings, cap);
		if (!grown)
			return err_fmt(p->err, p->errlen, "--fs: out of memory");
		p->strings = grown;
		p->strings_cap = cap;
	}
	struct pack_node *pn = &p->nodes[p->count];
	memset(pn, 0, sizeof(*pn));
	pn->n.parent = parent;
	pn->n.mode = (uint32_t)st->st_mode & (S_IFMT | 0777);
	pn->n.name_off = (uint32_t)p->strings_size;
	pn->n.name_len = (uint32_t)len;
	pn->n.mtime_sec = st->st_mtim.tv_sec;
	pn->n.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	pn->depth = depth;
	if (len)
		memcpy(p->strings + p->strings_size, name, len);
	p->strings_size += len;
	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) {
		pn->n.data_off = p->data_size;
		pn->n.size = (uint64_t)st->st_size;
		if (S_ISLNK(st->st_mode) && (st->st_size == 0 || st->st_size > FSIMAGE_LINK_MAX))
			return err_fmt(p->err, p->errlen, "--fs: symlink %s: target too long",
				       path);
		p->data_size += pn->n.size;
		if (p->data_size > FSIMAGE_MAX_SIZE)
			return err_fmt(p->err, p->errlen, "--fs: more than %llu bytes of files",
				       (unsigned long long)FSIMAGE_MAX_SIZE);
	}
	pn->path = strdup(path);
	if (!pn->path)
		return err_fmt(p->err, p->errlen, "--fs: out of memory");
	p->count++;
	return 0;
}

/* Adds the sorted children of directory node `index`. */
static int pack_dir(struct pack *p, uint32_t index)
{
	const char *dir_path = p->nodes[index].path;
	uint32_t depth = p->nodes[index].depth;
	int fd = pack_open(p, dir_path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return err_fmt(p->err, p->errlen, "--fs: open(%s): %s",
			       dir_path[0] ? dir_path : ".", strerror(errno));
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_fmt(p->err, p->errlen, "--fs: opendir(%s): %s", dir_path,
			       strerror(errno));
	}
	char **names = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = err_fmt(p->err, p->errlen, "--fs: out of memory");
				goto out;
			}
			names = grown;
		}
		if (!(names[count] = strdup(e->d_name))) {
			rc = err_fmt(p->err, p->errlen, "--fs: out of memory");
			goto out;
		}
		count++;
	}
	if (count)
		qsort(names, count, sizeof(*names), entry_compare);
	for (size_t i = 0; i < count && rc == 0; i++) {
		struct stat st;
		char path[PATH_MAX_PACK];
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_fmt(p->err, p->errlen, "--fs: stat(%s/%s): %s", dir_path, names[i],
				     strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			continue; /* devices, sockets, fifos: not part of the tree */
		if (snprintf(path, sizeof(path), "%s%s%s", dir_path, dir_path[0] ? "/" : "",
			     names[i]) >= (int)sizeof(path)) {
			rc = err_fmt(p->err, p->errlen, "--fs: path too long under %s", dir_path);
			break;
		}
		if (S_ISDIR(st.st_mode) && depth + 1 > FSIMAGE_MAX_DEPTH) {
			rc = err_fmt(p->err, p->errlen, "--fs: %s is nested deeper than %u", path,
				     FSIMAGE_MAX_DEPTH);
			break;
		}
		rc = pack_add(p, index, names[i], &st, path, depth + 1);
	}
out:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

static int write_at(int fd, const void *buf, uint64_t len, uint64_t off)
{
	const uint8_t *b = buf;
	while (len) {
		ssize_t n = pwrite(fd, b, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Copies one file's or symlink's bytes into the image at `off`. */
static int pack_data(struct pack *p, const struct pack_node *pn, int out, uint64_t off)
{
	if ((pn->n.mode & S_IFMT) == S_IFLNK) {
		char target[FSIMAGE_LINK_MAX + 1];
		/* readlinkat with an empty name reads the link an O_PATH fd names. */
		int fd = pack_open(p, pn->path, O_PATH);
		ssize_t n = fd < 0 ? -1 : readlinkat(fd, "", target, sizeof(target));
		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)pn->n.size)
			return err_fmt(p->err, p->errlen, "--fs: symlink %s changed while packing",
				       pn->path);
		return write_at(out, target, pn->n.size, off) < 0
			   ? err_fmt(p->err, p->errlen, "--fs: writing the image: %s",
				     strerror(errno))
			   : 0;
	}
	int fd = pack_open(p, pn->path, O_RDONLY);
	if (fd < 0)
		return err_fmt(p->err, p->errlen, "--fs: open(%s): %s", pn->path, strerror(errno));
	static uint8_t buf[1 << 16];
	uint64_t done = 0;
	int rc = 0;
	while (done < pn->n.size) {
		uint64_t want = pn->n.size - done < sizeof(buf) ? pn->n.size - done : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = err_fmt(p->err, p->errlen, "--fs: %s shrank or failed while packing",
				     pn->path);
			break;
		}
		if (write_at(out, buf, (uint64_t)n, off + done) < 0) {
			rc = err_fmt(p->err, p->errlen, "--fs: writing the image: %s",
				     strerror(errno));
			break;
		}
		done += (uint64_t)n;
	}
	close(fd);
	return rc;
}

/* Writes the node table, the contents and the strings after the header. */
static int pack_write(struct pack *p, int fd, const struct fsimage_header *h)
{
	/* p->nodes is freed by the caller; the analyzer loses track of it across
	 * pack_add()'s realloc (false "potential leak"). */
	for (uint32_t i = 0; i < p->count; i++) { // NOLINT(clang-analyzer-unix.Malloc)
		const struct pack_node *pn = &p->nodes[i];
		if (write_at(fd, &pn->n, sizeof(pn->n),
			     sizeof(*h) + (uint64_t)i * sizeof(struct fsimage_node)) < 0)
			return err_fmt(p->err, p->errlen, "--fs: writing the image: %s",
				       strerror(errno));
		uint32_t type = pn->n.mode & S_IFMT;
		if ((type == S_IFREG || type == S_IFLNK) &&
		    pack_data(p, pn, fd, h->data_off + pn->n.data_off) < 0)
			return -1;
	}
	if (p->strings_size && write_at(fd, p->strings, p->strings_size, h->strings_off) < 0)
		return err_fmt(p->err, p->errlen, "--fs: writing the image: %s", strerror(errno));
	return 0;
}

int linux_fsimage_pack(const char *dir, int fd, char *err, size_t errlen)
{
	struct pack p = {.err = err, .errlen = errlen};
	struct stat st;
	p.root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.root_fd < 0)
		return err_fmt(err, errlen, "--fs %s: %s", dir, strerror(errno));
	int rc = -1;
	if (fstat(p.root_fd, &st) < 0) {
		err_fmt(err, errlen, "--fs %s: %s", dir, strerror(errno));
		goto out;
	}
	if (pack_add(&p, 0, "", &st, "", 0) < 0 || !p.nodes)
		goto out;
	p.nodes[0].n.name_len = 0;
	/* Breadth first: parents come before children, siblings sorted. */
	for (uint32_t i = 0; i < p.count; i++)
		if ((p.nodes[i].n.mode & S_IFMT) == S_IFDIR && pack_dir(&p, i) < 0)
			goto out;
	struct fsimage_header h = {.version = FSIMAGE_VERSION, .node_count = p.count};
	memcpy(h.magic, FSIMAGE_MAGIC, sizeof(h.magic));
	h.strings_off = sizeof(h) + (uint64_t)p.count * sizeof(struct fsimage_node);
	h.strings_size = p.strings_size;
	h.data_off = (h.strings_off + h.strings_size + 4095) & ~4095ULL;
	h.data_size = p.data_size;
	h.total_size = h.data_off + h.data_size;
	if (h.total_size > FSIMAGE_MAX_SIZE) {
		err_fmt(err, errlen, "--fs: image would be larger than %llu bytes",
			(unsigned long long)FSIMAGE_MAX_SIZE);
		goto out;
	}
	if (ftruncate(fd, (off_t)h.total_size) < 0 || write_at(fd, &h, sizeof(h), 0) < 0) {
		err_fmt(err, errlen, "--fs: writing the image: %s", strerror(errno));
		goto out;
	}
	if (pack_write(&p, fd, &h) < 0)
		goto out;
	rc = 0;
out:
	for (uint32_t i = 0; i < p.count; i++)
		free(p.nodes[i].path);
	free(p.nodes);
	free(p.strings);
	close(p.root_fd);
	return rc;
}
