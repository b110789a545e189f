/* libFuzzer target: the exec path of the --linux VMM on untrusted files: `#!` lines, ELF programs and the interpreter their PT_INTERP names, loaded into a small process whose /tmp holds the interpreter (/tmp/i) and the program itself (/tmp/p, so `#!` can loop). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux.h"

#define RAM (8ULL << 20)

/* Input: the program, then this separator, then the interpreter's bytes. */
static const char separator[] = "\n--interp--\n";

static void put_file(struct linux_proc *proc, const char *name, const uint8_t *data, size_t len)
{
	struct linux_node *node;
	if (linux_fs_create(&proc->fs, proc->fs.tmp, name, S_IFREG | 0755, &node) == 0)
		linux_fs_write(&proc->fs, node, 0, data, len);
}

/* One VM for every input: the loader never ends it (no vm_end), and each
 * input gets a fresh process whose page tables rebuild its memory map. */
static struct vm *fuzz_vm(int *devnull)
{
	static struct vm vm;
	static struct vcpu vcpu0;
	static int null_fd = -1;
	if (null_fd < 0) {
		vm_init(&vm);
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd < 0 || guest_mem_map(&vm.mem, RAM) < 0)
			abort();
		vm.vcpus = &vcpu0;
		vm.vcpu_count = 1;
		vm.console_fd = null_fd;
	}
	*devnull = null_fd;
	return &vm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int devnull;
	struct vm *vm = fuzz_vm(&devnull);
	size_t prog_len = size;
	const uint8_t *interp = NULL;
	size_t interp_len = 0;
	const uint8_t *sep = memmem(data, size, separator, sizeof(separator) - 1);
	if (sep) {
		prog_len = (size_t)(sep - data);
		interp = sep + sizeof(separator) - 1;
		interp_len = size - prog_len - (sizeof(separator) - 1);
	}
	struct linux_proc *proc = calloc(1, sizeof(*proc));
	char err[512] = "";
	if (!proc)
		abort();
	proc->vm = vm;
	proc->fs.root_fd = -1;
	if (linux_mm_init(proc, err, sizeof(err)) < 0 ||
	    linux_fs_init(&proc->fs, -1, 1 << 20, err, sizeof(err)) < 0)
		abort();
	linux_fd_init(proc);
	for (int fd = 0; fd < 3; fd++)
		proc->fds[fd].file->host_fd = devnull;
	proc->cwd = proc->fs.root;
	put_file(proc, "p", data, prog_len);
	if (interp)
		put_file(proc, "i", interp, interp_len);

	struct linux_exec_args args = {.limit = linux_exec_args_limit(proc)};
	linux_exec_args_add(&args, "/tmp/p", false);
	linux_exec_args_add(&args, "arg", false);
	linux_exec_args_add(&args, "PATH=/tmp", true);
	int rc = linux_exec_load(proc, data, prog_len, "/tmp/p", &args, err, sizeof(err));
	if (rc == 0 && (proc->entry >= proc->user_top || proc->initial_rsp >= proc->user_top ||
			proc->initial_rsp % 16))
		abort(); /* a loaded image must start inside the program's memory */
	if (rc != 0 && !err[0])
		abort(); /* every refusal says why */
	linux_exec_args_free(&args);
	linux_free(proc);
	return 0;
}
