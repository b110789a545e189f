/* VMM side of save, restore and live migration: pausing, the pre-copy loop over KVM's dirty log, and loading a checked stream into a new VM. */
#include "migrate.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "control_wire.h"
#include "netframe.h"
#include "progress.h"
#include "util.h"
#include "vcpu.h"

/* Pre-copy stops iterating when the dirty set is this small (pages), stops
 * shrinking, or after this many rounds; the rest goes in the stop-and-copy. */
#define PRECOPY_DONE_PAGES 64
#define PRECOPY_MAX_ROUNDS 30

/* Devices, clock, every vCPU, END: the state written once vCPUs are paused. */
static int write_state(struct vm *vm, struct snapshot_writer *w, char *err, size_t errlen)
{
	uint8_t dev[4 + LOCKVM_MAX_DISKS * (16 + SNAPSHOT_PATH_MAX)];
	size_t pos = 0;
	uint32_t count = vm->disk_count;
	memcpy(dev, &count, 4);
	pos = 4;
	for (unsigned i = 0; i < vm->disk_count; i++) {
		const char *path = vm->disks[i].path ? vm->disks[i].path : "";
		uint32_t ro = vm->disks[i].read_only,
			 len = (uint32_t)strnlen(path, SNAPSHOT_PATH_MAX);
		memcpy(dev + pos, &vm->disks[i].sectors, 8);
		memcpy(dev + pos + 8, &ro, 4);
		memcpy(dev + pos + 12, &len, 4);
		memcpy(dev + pos + 16, path, len);
		pos += 16 + len;
	}
	uint64_t now = now_ns(), clock[3] = {
				     now + (uint64_t)vm->clock_offset_ns,
				     vm->deadline_ns > now ? vm->deadline_ns - now : 0,
				     vm->events,
				 };
	if (snapshot_write_section(w, SNAPSHOT_SEC_DEVICES, 0, dev, pos, NULL, 0) < 0 ||
	    snapshot_write_section(w, SNAPSHOT_SEC_CLOCK, 0, clock, sizeof(clock), NULL, 0) < 0)
		return err_fmt(err, errlen, "%s", w->err);
	if (vm->nic) { /* the guest may have cached its MAC: the new VM must have it */
		uint8_t nic[SNAPSHOT_NIC_SIZE] = {0};
		uint32_t mtu = LOCKVM_NET_MTU;
		memcpy(nic, vm->nic_mac, 6);
		memcpy(nic + 8, &mtu, 4);
		if (snapshot_write_section(w, SNAPSHOT_SEC_NIC, 0, nic, sizeof(nic), NULL, 0) < 0)
			return err_fmt(err, errlen, "%s", w->err);
	}
	uint8_t *blob = malloc(arch_snapshot_size());
	if (!blob)
		return err_fmt(err, errlen, "out of memory");
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		uint64_t sleep_left =
		    vcpu->sleep_deadline_ns > now ? vcpu->sleep_deadline_ns - now : 0;
		if (arch_snapshot_save(vcpu, blob, err, errlen) < 0) {
			free(blob);
			return -1;
		}
		if (snapshot_write_section(w, SNAPSHOT_SEC_VCPU, i, &sleep_left, 8, blob,
					   arch_snapshot_size()) < 0) {
			free(blob);
			return err_fmt(err, errlen, "%s", w->err);
		}
	}
	free(blob);
	if (snapshot_write_section(w, SNAPSHOT_SEC_END, 0, NULL, 0, NULL, 0) < 0)
		return err_fmt(err, errlen, "%s", w->err);
	return 0;
}

/* Calls fn on each run of set bits, [first page, page count). */
static int for_each_run(const uint64_t *bits, uint64_t pages,
			int (*fn)(void *ctx, uint64_t first, uint64_t count), void *ctx)
{
	uint64_t run_start = 0, run_len = 0;
	for (uint64_t p = 0; p <= pages; p++) {
		bool set = p < pages && (bits[p / 64] >> (p % 64)) & 1;
		if (set && !run_len)
			run_start = p;
		if (set)
			run_len++;
		if (!set && run_len) {
			if (fn(ctx, run_start, run_len) < 0)
				return -1;
			run_len = 0;
		}
	}
	return 0;
}

static int count_run(void *ctx, uint64_t first, uint64_t count)
{
	*(uint64_t *)ctx += snapshot_memory_bytes(count * LOCKVM_PAGE_SIZE);
	return 0;
}

/* The stream bytes send_dirty() will write for bits: progress's total. */
static uint64_t run_bytes(const struct guest_mem *mem, const uint64_t *bits)
{
	uint64_t bytes = 0;
	(void)for_each_run(bits, mem->size / LOCKVM_PAGE_SIZE, count_run, &bytes);
	return bytes;
}

struct run_writer {
	struct snapshot_writer *w;
	const struct guest_mem *mem;
};

static int write_run(void *ctx, uint64_t first, uint64_t count)
{
	struct run_writer *rw = ctx;
	return snapshot_write_memory(rw->w, rw->mem, first * LOCKVM_PAGE_SIZE,
				     count * LOCKVM_PAGE_SIZE);
}

/* Writes the pages set in bits and clears them. */
static int send_dirty(struct snapshot_writer *w, const struct guest_mem *mem, uint64_t *bits,
		      size_t words)
{
	struct run_writer rw = {w, mem};
	if (for_each_run(bits, mem->size / LOCKVM_PAGE_SIZE, write_run, &rw) < 0)
		return -1;
	memset(bits, 0, words * 8);
	return 0;
}

static int save(struct vm *vm, int fd, const uint8_t *key, int control_fd,
		struct migrate_result *res, char *err, size_t errlen)
{
	struct snapshot_writer w = {0};
	struct migrate_progress progress;
	uint64_t start = now_ns();
	size_t words = (vm->mem.size / LOCKVM_PAGE_SIZE + 63) / 64;
	uint64_t *bits = calloc(words, 8);
	if (!bits)
		return err_fmt(err, errlen, "out of memory for the page bitmap");
	int paused = vcpu_pause_all(vm);
	if (paused < 0) {
		free(bits);
		return err_fmt(err, errlen,
			       paused == -1 ? "the VM ended"
					    : "a vCPU did not pause within 10 s; the VM runs on");
	}
	int rc = -1;
	if (snapshot_write_header(&w, fd, key, NULL, vm->vcpu_count, vm->mem.size, vm->disk_count) <
	    0) {
		err_fmt(err, errlen, "%s", w.err);
		goto out;
	}
	(void)snapshot_nonzero_pages(&vm->mem, bits); /* zero pages are not sent */
	migrate_progress_begin(&progress, control_fd, w.bytes + run_bytes(&vm->mem, bits));
	progress.m.flags |= CONTROL_PAUSED; /* paused above, for the whole save */
	migrate_progress_send(&progress, true);
	w.progress = &progress.base;
	if (send_dirty(&w, &vm->mem, bits, words) < 0) {
		err_fmt(err, errlen, "%s", w.err);
		goto out;
	}
	if (write_state(vm, &w, err, errlen) < 0)
		goto out;
	res->total_ns = res->downtime_ns = now_ns() - start;
	res->bytes = w.bytes;
	res->iterations = 1;
	rc = 0;
out:
	free(bits);
	return rc;
}

/* ---- live migration ----------------------------------------------------- */

static int set_dirty_logging(struct vm *vm, bool on)
{
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
	    .guest_phys_addr = 0,
	    .memory_size = vm->mem.size,
	    .userspace_addr = (uint64_t)(uintptr_t)vm->mem.host,
	};
	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

/* ORs KVM's dirty log and the VMM's own writes since the last call into
 * bits (cleared by the caller); returns the page count, or -1. */
static int64_t collect_dirty(struct vm *vm, uint64_t *bits, uint64_t *scratch, size_t words)
{
	struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = scratch};
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return -1;
	uint64_t *own = atomic_load(&vm->vmm_dirty);
	int64_t count = 0;
	for (size_t i = 0; i < words; i++) {
		bits[i] |= scratch[i] | __atomic_exchange_n(&own[i], 0, __ATOMIC_RELAXED);
		count += __builtin_popcountll(bits[i]);
	}
	return count;
}

/* Reads exactly len bytes of the peer's handshake: 1, 0 when it hung up,
 * -1 on an error or the 30 s socket timeout. */
static int read_handshake(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		done += (size_t)n;
	}
	return 1;
}

static int read_token(int fd, const char *want, char *err, size_t errlen)
{
	char got[8];
	int rc = read_handshake(fd, got, sizeof(got));
	if (rc <= 0)
		return err_fmt(err, errlen, "the target %s before confirming",
			       rc == 0 ? "hung up" : "went quiet");
	if (memcmp(got, want, sizeof(got)) != 0)
		return err_fmt(err, errlen, "the target refused the stream");
	return 0;
}

/* The target's HELLO and nonce, which the stream's first tag covers. */
static int read_hello(int fd, uint8_t nonce[SNAPSHOT_NONCE_SIZE], char *err, size_t errlen)
{
	uint8_t hello[8 + SNAPSHOT_NONCE_SIZE];
	int rc = read_handshake(fd, hello, sizeof(hello));
	if (rc <= 0)
		return err_fmt(err, errlen,
			       "the target %s without sending its nonce (a lockvm older than "
			       "stream version %d?)",
			       rc == 0 ? "hung up" : "went quiet", SNAPSHOT_VERSION);
	if (memcmp(hello, SNAPSHOT_HELLO, 8) != 0)
		return err_fmt(err, errlen,
			       "the target did not greet with %s (not a lockvm "
			       "incoming of stream version %d)",
			       SNAPSHOT_HELLO, SNAPSHOT_VERSION);
	memcpy(nonce, hello + 8, SNAPSHOT_NONCE_SIZE);
	return 0;
}

static int migrate(struct vm *vm, int fd, const uint8_t *key, int control_fd,
		   struct migrate_result *res, char *err, size_t errlen)
{
	struct snapshot_writer w = {0};
	struct migrate_progress progress;
	uint64_t start = now_ns();
	size_t words = (vm->mem.size / LOCKVM_PAGE_SIZE + 63) / 64;
	uint64_t *bits = calloc(words, 8), *scratch = calloc(words, 8);
	/* The VMM's own-writes bitmap lives as long as the VM: a vCPU may
	 * still hold the pointer after a failed migration. */
	if (!atomic_load(&vm->vmm_dirty))
		atomic_store(&vm->vmm_dirty, calloc(words, 8));
	if (!bits || !scratch || !atomic_load(&vm->vmm_dirty)) {
		free(bits);
		free(scratch);
		return err_fmt(err, errlen, "out of memory for dirty bitmaps");
	}
	int rc = -1;
	bool logging = false, paused = false;
	uint8_t nonce[SNAPSHOT_NONCE_SIZE];
	if (read_hello(fd, nonce, err, errlen) < 0)
		goto out;
	if (set_dirty_logging(vm, true) < 0) {
		err_fmt(err, errlen, "ioctl(KVM_SET_USER_MEMORY_REGION, dirty logging): %s",
			strerror(errno));
		goto out;
	}
	logging = true;
	if (collect_dirty(vm, bits, scratch, words) < 0) { /* start from a clean log */
		err_fmt(err, errlen, "ioctl(KVM_GET_DIRTY_LOG): %s", strerror(errno));
		goto out;
	}
	memset(bits, 0, words * 8);
	if (snapshot_write_header(&w, fd, key, nonce, vm->vcpu_count, vm->mem.size,
				  vm->disk_count) < 0) {
		err_fmt(err, errlen, "%s", w.err);
		goto out;
	}
	/* The first round: every page that is not zero. */
	(void)snapshot_nonzero_pages(&vm->mem, bits);
	migrate_progress_begin(&progress, control_fd, w.bytes + run_bytes(&vm->mem, bits));
	progress.m.iterations = res->iterations = 1;
	w.progress = &progress.base;
	uint64_t round_ns = now_ns();
	int64_t previous = INT64_MAX;
	for (;;) {
		if (send_dirty(&w, &vm->mem, bits, words) < 0) {
			err_fmt(err, errlen, "%s", w.err);
			goto out;
		}
		int64_t dirty = collect_dirty(vm, bits, scratch, words);
		if (dirty < 0) {
			err_fmt(err, errlen, "ioctl(KVM_GET_DIRTY_LOG): %s", strerror(errno));
			goto out;
		}
		/* What the guest dirtied while the last round was sent. */
		uint64_t now = now_ns(), dirty_bytes = (uint64_t)dirty * LOCKVM_PAGE_SIZE;
		progress.m.dirty_bytes = dirty_bytes;
		progress.m.dirty_rate =
		    now > round_ns
			? (uint64_t)((double)dirty_bytes * 1e9 / (double)(now - round_ns))
			: 0;
		progress.m.expected = w.bytes + run_bytes(&vm->mem, bits);
		round_ns = now;
		if (dirty <= PRECOPY_DONE_PAGES || dirty >= previous ||
		    res->iterations >= PRECOPY_MAX_ROUNDS)
			break; /* what is in bits goes with the stop-and-copy */
		previous = dirty;
		progress.m.iterations = ++res->iterations;
		migrate_progress_send(&progress, true); /* each round's figures */
	}
	uint64_t stop = now_ns();
	int pause = vcpu_pause_all(vm);
	if (pause < 0) {
		err_fmt(err, errlen,
			pause == -1 ? "the VM ended during migration"
				    : "a vCPU did not pause within 10 s for the stop-and-copy");
		goto out;
	}
	paused = true;
	progress.m.flags |= CONTROL_PAUSED; /* the stop-and-copy */
	migrate_progress_send(&progress, true);
	if (collect_dirty(vm, bits, scratch, words) < 0 ||
	    send_dirty(&w, &vm->mem, bits, words) < 0) {
		err_fmt(err, errlen, "final copy: %s", w.err[0] ? w.err : strerror(errno));
		goto out;
	}
	if (write_state(vm, &w, err, errlen) < 0 || read_token(fd, SNAPSHOT_READY, err, errlen) < 0)
		goto out;
	w.err[0] = '\0';
	if (write_all(fd, SNAPSHOT_COMMIT, 8) < 0) {
		err_fmt(err, errlen, "sending COMMIT: %s", strerror(errno));
		goto out;
	}
	/* Switched over: the target runs the guest from here. */
	res->downtime_ns = now_ns() - stop;
	res->total_ns = now_ns() - start;
	res->bytes = w.bytes + 8;
	rc = 0;
out:
	if (rc < 0 && logging)
		(void)set_dirty_logging(vm, false);
	if (rc < 0 && paused)
		vcpu_resume_all(vm);
	free(bits);
	free(scratch);
	return rc;
}

/* ---- the control request ------------------------------------------------ */

void migrate_control(struct vm *vm, int control_fd, const struct control_msg *msg, int fd)
{
	struct control_msg m = *msg, reply = {.magic = CONTROL_MAGIC, .op = CONTROL_REPLY};
	struct migrate_result res = {0};
	int rc = 0;
	if (m.op == CONTROL_STATS) { /* counters only, the VM runs on */
		if (fd >= 0)
			close(fd);
		vm_counters(vm, &reply.exits, &reply.hypercalls);
		vm_disk_counters(
		    vm, &reply.disk[CONTROL_DISK_READS], &reply.disk[CONTROL_DISK_WRITES],
		    &reply.disk[CONTROL_DISK_READ_BYTES], &reply.disk[CONTROL_DISK_WRITTEN_BYTES]);
		reply.clock_ns = now_ns();
		(void)control_send(control_fd, &reply, -1);
		return;
	}
	if (fd < 0)
		return;
	const uint8_t *key = (m.flags & CONTROL_KEYED) ? m.key : NULL;
	bool ends = false;
	const char *unsaveable = vm->guest->unsaveable ? vm->guest->unsaveable(vm) : NULL;
	if (unsaveable) {
		reply.status = EXIT_REFUSED;
		snprintf(reply.text, sizeof(reply.text), "%s", unsaveable);
	} else if (m.op == CONTROL_SAVE) {
		rc = save(vm, fd, key, control_fd, &res, reply.text, sizeof(reply.text));
		ends = rc == 0 && !(m.flags & CONTROL_KEEP_RUNNING);
		if (rc < 0 || !ends)
			vcpu_resume_all(vm);
		reply.status = rc < 0 ? EXIT_REFUSED : 0;
	} else if (m.op == CONTROL_MIGRATE) {
		rc = migrate(vm, fd, key, control_fd, &res, reply.text, sizeof(reply.text));
		ends = rc == 0;
		reply.status = rc < 0 ? EXIT_REFUSED : 0;
	} else {
		reply.status = EXIT_REFUSED;
		snprintf(reply.text, sizeof(reply.text), "unknown request %u", m.op);
	}
	close(fd);
	reply.total_ns = res.total_ns;
	reply.downtime_ns = res.downtime_ns;
	reply.bytes = res.bytes;
	reply.iterations = res.iterations;
	(void)control_send(control_fd, &reply, -1);
	if (ends)
		vm_end(vm, 0, "lockvm-vmm: VM %s; this copy stops",
		       m.op == CONTROL_SAVE ? "saved" : "migrated");
}

/* ---- restore ------------------------------------------------------------ */

int migrate_restore_memory(struct vm *vm, int fd, const uint8_t *key, bool incoming, int control_fd,
			   struct snapshot_state *st, char *err, size_t errlen)
{
	static struct snapshot_reader r;
	struct migrate_progress progress;
	struct stat sb;
	uint8_t hello[8 + SNAPSHOT_NONCE_SIZE] = {
	    0}; /* (cppcheck: read only when incoming fills it) */
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	if (incoming) {
		/* A fresh nonce per accepted connection: a recording of an
		 * earlier stream does not answer it. */
		memcpy(hello, SNAPSHOT_HELLO, 8);
		if (getrandom(hello + 8, SNAPSHOT_NONCE_SIZE, 0) != SNAPSHOT_NONCE_SIZE)
			return err_fmt(err, errlen, "getrandom(migration nonce): %s",
				       strerror(errno));
		if (write_all(fd, hello, sizeof(hello)) < 0)
			return err_fmt(err, errlen, "sending the nonce to the source: %s",
				       strerror(errno));
	}
	/* A saved file's size is the total; a migration's is not known here. */
	migrate_progress_begin(
	    &progress, control_fd,
	    !incoming && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0);
	r.progress = &progress.base;
	if (snapshot_read(&r, key, incoming ? hello + 8 : NULL, vm->vcpu_count, &vm->mem, st) < 0)
		return err_fmt(err, errlen, "%s", r.err);
	progress.m.bytes = progress.m.expected = r.bytes; /* the whole stream, checked */
	migrate_progress_send(&progress, true);
	if (st->disk_count != vm->disk_count)
		return err_fmt(err, errlen,
			       "the stream's VM had %u disk%s, this one %u (give each with "
			       "--disk, in order)",
			       st->disk_count, st->disk_count == 1 ? "" : "s", vm->disk_count);
	for (unsigned i = 0; i < st->disk_count; i++)
		if (st->disks[i].sectors != vm->disks[i].sectors ||
		    st->disks[i].read_only != vm->disks[i].read_only)
			return err_fmt(
			    err, errlen,
			    "disk %u: the stream's is %llu sectors%s (%s), this one %llu%s", i,
			    (unsigned long long)st->disks[i].sectors,
			    st->disks[i].read_only ? " ro" : "", st->disks[i].path,
			    (unsigned long long)vm->disks[i].sectors,
			    vm->disks[i].read_only ? " ro" : "");
	char saved_mac[NETFRAME_MAC_TEXT], own_mac[NETFRAME_MAC_TEXT];
	netframe_mac_format(st->nic_mac, saved_mac);
	netframe_mac_format(vm->nic_mac, own_mac);
	if (st->has_nic && !vm->nic)
		return err_fmt(
		    err, errlen,
		    "the stream's VM had a NIC with MAC %s, this one has none (give --net "
		    "and --mac %s)",
		    saved_mac, saved_mac);
	if (st->has_nic && memcmp(st->nic_mac, vm->nic_mac, 6) != 0)
		return err_fmt(err, errlen,
			       "the stream's NIC has MAC %s, this one %s (give --mac %s: the guest "
			       "may have cached it)",
			       saved_mac, own_mac, saved_mac);
	if (st->has_nic && st->nic_mtu != LOCKVM_NET_MTU)
		return err_fmt(err, errlen, "the stream's NIC has MTU %u, lockvm's NICs %d",
			       st->nic_mtu, LOCKVM_NET_MTU);
	if (arch_snapshot_memory(vm, err, errlen) < 0)
		return -1;
	uint64_t now = now_ns();
	vm->clock_offset_ns = (int64_t)(st->guest_clock_ns - now);
	vm->events = st->events;
	if (st->timeout_left_ns)
		vm->deadline_ns = now + st->timeout_left_ns;
	return 0;
}

int migrate_restore_vcpus(struct vm *vm, struct snapshot_state *st, char *err, size_t errlen)
{
	uint64_t now = now_ns();
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (arch_snapshot_load(&vm->vcpus[i], st->arch[i], err, errlen) < 0)
			return -1;
		vm->vcpus[i].sleep_deadline_ns =
		    st->sleep_left_ns[i] ? now + st->sleep_left_ns[i] : 0;
	}
	return 0;
}

int migrate_incoming_commit(int fd, char *err, size_t errlen)
{
	if (write_all(fd, SNAPSHOT_READY, 8) < 0)
		return err_fmt(err, errlen, "migration: sending READY: %s", strerror(errno));
	if (read_token(fd, SNAPSHOT_COMMIT, err, errlen) < 0)
		return err_fmt(err, errlen, "migration: the source did not commit the switch-over");
	return 0;
}
