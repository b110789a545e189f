/* libFuzzer target: the --linux syscall layer driven with random calls against a small process (hostile pointers, lengths, fds, paths). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux.h"

#define RAM	 (8ULL << 20)
#define CALLS	 16
#define CALL_LEN (1 + 6 * 8)

static const uint8_t *image_bytes(size_t *len)
{
	/* A small tree packed once: /d/f, /d/l -> f, /esc -> /../../etc */
	static uint8_t *img;
	static size_t img_len;
	if (!img) {
		char dir[] = "/tmp/fuzz-linux-fs.XXXXXX";
		if (!mkdtemp(dir))
			abort();
		char path[128];
		snprintf(path, sizeof(path), "%s/d", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/d/f", dir);
		FILE *f = fopen(path, "w");
		fputs("file contents\n", f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/d/l", dir);
		symlink("f", path);
		snprintf(path, sizeof(path), "%s/esc", dir);
		symlink("/../../etc", path);
		int fd = memfd_create("fuzz-fs", 0);
		char err[256];
		if (fd < 0 || linux_fsimage_pack(dir, fd, err, sizeof(err)) < 0)
			abort();
		img_len = (size_t)lseek(fd, 0, SEEK_END);
		img = malloc(img_len);
		if (!img || pread(fd, img, img_len, 0) != (ssize_t)img_len)
			abort();
		close(fd);
	}
	*len = img_len;
	return img;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	static int devnull = -1;
	if (devnull < 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0 || guest_mem_map(&vm.mem, RAM) < 0)
			abort();
	}
	struct guest_mem mem = vm.mem;
	vm_init(&vm);
	vm.mem = mem;
	vm.vcpu_count = 1;
	vm.console_fd = devnull;
	vm.deadline_ns = 1; /* already past: sleeps and futex waits return at once */

	struct linux_proc *proc = calloc(1, sizeof(*proc));
	char err[256];
	size_t img_len;
	const uint8_t *img = image_bytes(&img_len);
	proc->vm = &vm;
	proc->cfg.tmp_limit = 1 << 20;
	if (!proc || linux_mm_init(proc, err, sizeof(err)) < 0 ||
	    linux_fs_parse(&proc->fs, img, img_len, 1 << 20, err, sizeof(err)) < 0)
		abort();
	/* Program memory: an "image" at 2 MiB and a stack below the tables. */
	uint64_t user = 0x200000, user_len = 0x100000;
	proc->stack_low = proc->user_top - 0x40000;
	linux_mm_map(proc, user, user_len, LINUX_PROT_READ | LINUX_PROT_WRITE, true);
	linux_mm_map(proc, proc->stack_low, 0x40000, LINUX_PROT_READ | LINUX_PROT_WRITE, true);
	proc->brk_start = proc->brk = user + user_len;
	linux_fd_init(proc);
	for (int fd = 0; fd < 3; fd++)
		proc->fds[fd].file->host_fd = devnull;
	proc->cwd = proc->fs.root;
	size_t head = CALLS * CALL_LEN;
	if (size > head)
		memcpy(vm.mem.host + user, data + head,
		       size - head < user_len ? size - head : user_len);

	for (size_t i = 0; i < CALLS && (i + 1) * CALL_LEN <= size && !vm_is_ending(&vm); i++) {
		const uint8_t *c = data + i * CALL_LEN;
		struct linux_regs r = {0};
		uint64_t a[6];
		memcpy(a, c + 1, sizeof(a));
		/* Arguments with the top bit set become pointers into program memory. */
		for (int k = 0; k < 6; k++)
			if (a[k] >> 63)
				a[k] = user + (a[k] % user_len);
		static const uint16_t interesting[] = {
		    0,	 1,   2,   3,	4,   5,	  8,   9,   10,	 11,  12,  13,	14, 15, 16,
		    17,	 19,  20,  21,	25,  28,  32,  33,  72,	 77,  79,  80,	83, 87, 89,
		    158, 202, 217, 228, 257, 262, 263, 267, 292, 302, 318, 332, 999};
		r.rax = interesting[c[0] % (sizeof(interesting) / sizeof(interesting[0]))];
		if (r.rax == 60 || r.rax == 231)
			continue;
		r.rdi = a[0];
		r.rsi = a[1];
		r.rdx = a[2];
		r.r10 = a[3];
		r.r8 = a[4];
		r.r9 = a[5];
		r.rsp = proc->user_top - 0x1000;
		linux_syscall(proc, &r);
	}
	linux_free(proc);
	pthread_mutex_destroy(&vm.lock);
	pthread_cond_destroy(&vm.cond);
	return 0;
}
