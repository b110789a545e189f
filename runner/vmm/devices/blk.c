/* The block device: 512-byte sectors, every request bounds-checked against the image size. */
#include "blk.h"

#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"

int blk_attach(struct vm *vm, int fd, bool read_only, char *err, size_t errlen)
{
	struct stat st;
	uint64_t bytes;
	if (vm->disk_count >= LOCKVM_MAX_DISKS) {
		snprintf(err, errlen, "too many disks (at most %d)", LOCKVM_MAX_DISKS);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "fstat(disk fd %d): %s", fd, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			snprintf(err, errlen, "ioctl(disk fd %d, BLKGETSIZE64): %s", fd,
				 strerror(errno));
			return -1;
		}
	} else {
		snprintf(err, errlen, "disk fd %d is neither a regular file nor a block device",
			 fd);
		return -1;
	}
	if (bytes % LOCKVM_SECTOR_SIZE) {
		snprintf(err, errlen, "size %llu is not a multiple of %d bytes",
			 (unsigned long long)bytes, LOCKVM_SECTOR_SIZE);
		return -1;
	}
	vm->disks[vm->disk_count++] = (struct disk){
	    .fd = fd,
	    .sectors = bytes / LOCKVM_SECTOR_SIZE,
	    .read_only = read_only,
	};
	return 0;
}

static struct disk *blk_disk(struct vcpu *vcpu, uint32_t index)
{
	return index < vcpu->vm->disk_count ? &vcpu->vm->disks[index] : NULL;
}

void blk_hc_info(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_blk_info *a = args;
	struct disk *disk = blk_disk(vcpu, a->disk);
	if (!disk) {
		a->ret = -LOCKVM_ENODEV;
		return;
	}
	a->sectors = disk->sectors;
	a->read_only = disk->read_only;
	a->ret = 0;
}

/* Checks a request; returns the guest buffer or NULL (with a->ret set, or
 * the VM ended for a malformed buffer). */
static uint8_t *blk_request(struct vcpu *vcpu, struct lockvm_hc_blk_io *a, struct disk **out,
			    const char *what, enum guest_access access)
{
	struct disk *disk = blk_disk(vcpu, a->disk);
	uint64_t end;
	if (!disk) {
		a->ret = -LOCKVM_ENODEV;
		return NULL;
	}
	if (a->count == 0 || a->count > LOCKVM_BLK_MAX_SECTORS) {
		a->ret = -LOCKVM_EINVAL;
		return NULL;
	}
	if (add_overflows(a->sector, a->count, &end) || end > disk->sectors) {
		a->ret = -LOCKVM_ERANGE;
		return NULL;
	}
	/* count was bounded above, so the length is too */
	uint64_t len = (uint64_t)a->count * LOCKVM_SECTOR_SIZE;
	/* A disk read writes the buffer, a disk write reads it. */
	uint8_t *buf = hypercall_buffer(vcpu, what, a->data, len, len, access);
	if (!buf)
		return NULL;
	*out = disk;
	return buf;
}

/* Serves one read or write request; the loop absorbs short transfers. */
static void blk_transfer(struct vcpu *vcpu, struct lockvm_hc_blk_io *a, bool write)
{
	struct disk *disk;
	uint8_t *buf = blk_request(vcpu, a, &disk, write ? "disk write" : "disk read",
				   write ? GUEST_READ : GUEST_WRITE);
	if (!buf)
		return;
	if (write && disk->read_only) {
		a->ret = -LOCKVM_EROFS;
		return;
	}
	uint64_t len = (uint64_t)a->count * LOCKVM_SECTOR_SIZE, done = 0;
	off_t offset = (off_t)(a->sector * LOCKVM_SECTOR_SIZE);
	while (done < len) {
		off_t at = offset + (off_t)done;
		ssize_t n = write ? pwrite(disk->fd, buf + done, len - done, at)
				  : pread(disk->fd, buf + done, len - done, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* 0: the image shrank under us */
			a->ret = -LOCKVM_EIO;
			return;
		}
		done += (uint64_t)n;
	}
	a->ret = 0;
	/* Counted once served (lockvm stats); other vCPUs may serve the same disk. */
	__atomic_add_fetch(write ? &disk->writes : &disk->reads, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(write ? &disk->written_bytes : &disk->read_bytes, len, __ATOMIC_RELAXED);
}

void blk_hc_read(struct vcpu *vcpu, void *args)
{
	blk_transfer(vcpu, args, false);
}

void blk_hc_write(struct vcpu *vcpu, void *args)
{
	blk_transfer(vcpu, args, true);
}
