/* Unit tests of hypercall decoding and VM-exit dispatch on a VM without KVM (memory only). */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch_x86_64.h"
#include "blk.h"
#include "hypercall.h"
#include "nic.h"
#include "vcpu.h"
#include "vm.h"

/* Above the runner's pages: where a guest's own structs and buffers live. */
#define RAM  (LOCKVM_RUNNER_END + 0x200000)
#define ARGS (LOCKVM_RUNNER_END + 0x1000)
#define BUF  (LOCKVM_RUNNER_END + 0x2000)
static uint8_t ram[RAM] __attribute__((aligned(4096)));
static struct vm vm;
static struct vcpu vcpu;
static int console_pipe[2];

static int setup(void **state)
{
	vm_init(&vm);
	vm.mem = (struct guest_mem){.host = ram, .size = RAM};
	vm.vcpu_count = 1;
	vm.vcpus = &vcpu;
	vcpu = (struct vcpu){.vm = &vm, .index = 0, .fd = -1};
	if (pipe(console_pipe) < 0)
		return -1;
	vm.console_fd = console_pipe[1];
	memset(ram, 0, sizeof(ram));
	return 0;
}

static int teardown(void **state)
{
	close(console_pipe[0]);
	close(console_pipe[1]);
	return 0;
}

static void call(unsigned nr, uint32_t gpa, unsigned size)
{
	hypercall_dispatch(&vcpu, (uint16_t)(LOCKVM_HC_PORT_BASE + nr), true, size, 1, gpa);
}

static void console_write_reaches_console(void **state)
{
	struct lockvm_hc_console_write a = {.data = BUF, .len = 5};
	memcpy(ram + BUF, "hello", 5);
	memcpy(ram + ARGS, &a, sizeof(a));
	call(LOCKVM_HC_CONSOLE_WRITE, ARGS, 4);
	assert_false(vm_is_ending(&vm));
	memcpy(&a, ram + ARGS, sizeof(a));
	assert_int_equal(a.ret, 5);
	char got[8] = "";
	assert_int_equal(read(console_pipe[0], got, sizeof(got)), 5);
	assert_memory_equal(got, "hello", 5);
}

static void exit_sets_status_and_clamps(void **state)
{
	struct lockvm_hc_exit a = {.status = 1000};
	memcpy(ram + ARGS, &a, sizeof(a));
	call(LOCKVM_HC_EXIT, ARGS, 4);
	assert_true(vm_is_ending(&vm));
	assert_int_equal(vm.exit_status, 123);
}

static void guest_error(unsigned nr, uint32_t gpa, unsigned size)
{
	call(nr, gpa, size);
	assert_true(vm_is_ending(&vm));
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
}

static void bad_buffer_is_guest_error(void **state)
{
	struct lockvm_hc_console_write a = {.data = RAM - 2, .len = 5};
	memcpy(ram + ARGS, &a, sizeof(a));
	guest_error(LOCKVM_HC_CONSOLE_WRITE, ARGS, 4);
}

static void struct_past_ram_is_guest_error(void **state)
{
	guest_error(LOCKVM_HC_CONSOLE_WRITE, RAM - 8, 4);
}

static void wrong_size_is_guest_error(void **state)
{
	guest_error(LOCKVM_HC_NOP, ARGS, 2);
}

static void unknown_port_is_guest_error(void **state)
{
	guest_error(LOCKVM_HC_COUNT + 3, ARGS, 4);
}

static void read_direction_is_guest_error(void **state)
{
	hypercall_dispatch(&vcpu, LOCKVM_HC_PORT_BASE, false, 4, 1, ARGS);
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
}

static void rep_out_is_guest_error(void **state)
{
	hypercall_dispatch(&vcpu, LOCKVM_HC_PORT_BASE + LOCKVM_HC_NOP, true, 4, 2, ARGS);
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
}

static void table_has_every_number(void **state)
{
	for (unsigned i = 0; i < LOCKVM_HC_COUNT; i++) {
		const struct hypercall_def *def = hypercall_lookup(i);
		assert_non_null(def);
		assert_true(def->arg_size > 0 && def->arg_size <= 64);
	}
	assert_null(hypercall_lookup(LOCKVM_HC_COUNT));
}

static void unknown_exit_is_guest_error(void **state)
{
	struct kvm_run run;
	memset(&run, 0, sizeof(run));
	vcpu.run = &run;
	vcpu_handle_exit(&vcpu, 9999);
	vcpu.run = NULL;
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
}

static void mmio_outside_doorbell_is_guest_error(void **state)
{
	static struct kvm_run run;
	memset(&run, 0, sizeof(run));
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.phys_addr = 0xFEE00000;
	run.mmio.len = 4;
	run.mmio.is_write = 1;
	vcpu.run = &run;
	vcpu_handle_exit(&vcpu, KVM_EXIT_MMIO);
	vcpu.run = NULL;
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
}

static void doorbell_mmio_dispatches(void **state)
{
	static struct kvm_run run;
	struct lockvm_hc_nop a = {.ret = 77};
	memcpy(ram + ARGS, &a, sizeof(a));
	memset(&run, 0, sizeof(run));
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.phys_addr = LOCKVM_DOORBELL_GPA + 4 * LOCKVM_HC_NOP;
	run.mmio.len = 4;
	run.mmio.is_write = 1;
	uint32_t gpa = ARGS;
	memcpy(run.mmio.data, &gpa, 4);
	vcpu.run = &run;
	vcpu_handle_exit(&vcpu, KVM_EXIT_MMIO);
	vcpu.run = NULL;
	assert_false(vm_is_ending(&vm));
	memcpy(&a, ram + ARGS, sizeof(a));
	assert_int_equal(a.ret, 0);
}

static void disk_requests_are_bounds_checked(void **state)
{
	char path[] = "/tmp/lockvm-unit-disk.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, 8 * 512), 0);
	char err[128];
	assert_int_equal(blk_attach(&vm, fd, true, err, sizeof(err)), 0);
	struct lockvm_hc_blk_io io = {.disk = 0, .count = 1, .sector = 8, .data = BUF};
	memcpy(ram + ARGS, &io, sizeof(io));
	call(LOCKVM_HC_BLK_READ, ARGS, 4);
	memcpy(&io, ram + ARGS, sizeof(io));
	assert_int_equal(io.ret, -LOCKVM_ERANGE);
	io = (struct lockvm_hc_blk_io){.disk = 0, .count = 1, .sector = 7, .data = BUF};
	memcpy(ram + ARGS, &io, sizeof(io));
	call(LOCKVM_HC_BLK_WRITE, ARGS, 4);
	memcpy(&io, ram + ARGS, sizeof(io));
	assert_int_equal(io.ret, -LOCKVM_EROFS);
	io = (struct lockvm_hc_blk_io){.disk = 0, .count = 1, .sector = 7, .data = BUF};
	memcpy(ram + ARGS, &io, sizeof(io));
	call(LOCKVM_HC_BLK_READ, ARGS, 4);
	memcpy(&io, ram + ARGS, sizeof(io));
	assert_int_equal(io.ret, 0);
	assert_false(vm_is_ending(&vm));
	close(fd);
}

/* Pages of the runner's area a hostile guest would aim at (arch_x86_64.h):
 * page 0, GDT, TSS, IDT, the stubs (first, #UD, last), boot info, argv,
 * ring-0 stacks, page tables, and a range straddling the area's end. */
static const uint64_t runner_targets[] = {
    0x0,
    0x1000,
    0x2000,
    0x4000,
    0x5000,
    0x5060,
    0x51F0,
    0x6000,
    0xE000,
    0x10000,
    0x50000,
    0x1FF000,
    LOCKVM_RUNNER_END - 8,
};

static void reset_vm(void)
{
	vm.ending = false;
	vm.exit_status = 0;
}

/* Every hypercall that makes the VMM touch a guest buffer or write back
 * its argument struct refuses each runner page with a guest error. */
static void runner_pages_are_refused_to_every_writer(void **state)
{
	char path[] = "/tmp/lockvm-unit-disk.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, 8 * 512), 0);
	char err[128];
	assert_int_equal(blk_attach(&vm, fd, false, err, sizeof(err)), 0);
	for (size_t t = 0; t < sizeof(runner_targets) / sizeof(runner_targets[0]); t++) {
		uint64_t gpa = runner_targets[t];
		bool readable = gpa >= LOCKVM_BOOTINFO_BASE && gpa + 16 <= LOCKVM_BOOTINFO_END;
		uint8_t before[512];
		memcpy(before, ram + gpa, sizeof(before) < RAM - gpa ? sizeof(before) : 8);
		/* Writers of a buffer: disk read, random, NIC receive. */
		struct lockvm_hc_blk_io io = {.disk = 0, .count = 1, .sector = 0, .data = gpa};
		memcpy(ram + ARGS, &io, sizeof(io));
		reset_vm();
		guest_error(LOCKVM_HC_BLK_READ, ARGS, 4);
		struct lockvm_hc_random rnd = {.data = gpa, .len = 8};
		memcpy(ram + ARGS, &rnd, sizeof(rnd));
		reset_vm();
		guest_error(LOCKVM_HC_RANDOM, ARGS, 4);
		struct lockvm_hc_net_recv rcv = {.data = gpa, .len = 8};
		memcpy(ram + ARGS, &rcv, sizeof(rcv));
		reset_vm();
		guest_error(LOCKVM_HC_NET_RECV, ARGS, 4);
		/* Readers, refused unless the guest can read the range itself. */
		struct lockvm_hc_console_write cw = {.data = gpa, .len = 8};
		memcpy(ram + ARGS, &cw, sizeof(cw));
		reset_vm();
		call(LOCKVM_HC_CONSOLE_WRITE, ARGS, 4);
		assert_int_equal(vm_is_ending(&vm), !readable);
		if (readable) { /* drain what it wrote */
			char sink[8];
			assert_int_equal(read(console_pipe[0], sink, sizeof(sink)), 8);
		}
		io = (struct lockvm_hc_blk_io){.disk = 0, .count = 1, .sector = 0, .data = gpa};
		memcpy(ram + ARGS, &io, sizeof(io));
		reset_vm();
		call(LOCKVM_HC_BLK_WRITE, ARGS, 4);
		/* (a 512-byte disk write from the boot info page stays inside it) */
		assert_int_equal(vm_is_ending(&vm), !(gpa >= LOCKVM_BOOTINFO_BASE &&
						      gpa + 512 <= LOCKVM_BOOTINFO_END));
		struct lockvm_hc_net_send snd = {.frames = gpa, .count = 1};
		memcpy(ram + ARGS, &snd, sizeof(snd));
		reset_vm();
		call(LOCKVM_HC_NET_SEND, ARGS, 4);
		assert_int_equal(vm_is_ending(&vm), !readable);
		struct lockvm_hc_wait w = {.addr = gpa, .expected = 1, .timeout_ns = 1};
		memcpy(ram + ARGS, &w, sizeof(w));
		reset_vm();
		call(LOCKVM_HC_WAIT, ARGS, 4);
		assert_int_equal(vm_is_ending(&vm), !readable);
		/* The argument struct itself (its `ret` is written back), for
		 * calls with results: NOP, TIME, SLEEP, WAIT, EVENTS. */
		const unsigned with_results[] = {LOCKVM_HC_NOP,	   LOCKVM_HC_TIME,
						 LOCKVM_HC_SLEEP,  LOCKVM_HC_WAIT,
						 LOCKVM_HC_EVENTS, LOCKVM_HC_NET_WAIT};
		for (size_t i = 0; i < sizeof(with_results) / sizeof(with_results[0]); i++) {
			if (gpa + hypercall_lookup(with_results[i])->arg_size > RAM)
				continue;
			reset_vm();
			guest_error(with_results[i], (uint32_t)gpa, 4);
		}
		/* Nothing in the runner's area changed. */
		assert_memory_equal(ram + gpa, before,
				    sizeof(before) < RAM - gpa ? sizeof(before) : 8);
	}
	reset_vm();
	close(fd);
}

/* Pages the VMM writes for a hypercall are marked dirty (for migration)
 * after the write, not before: the NIC receive buffer's page is made
 * inaccessible, and the SIGSEGV of the VMM's copy into it checks the mark. */
static volatile sig_atomic_t write_seen, marked_at_write;
static uint8_t *fault_page;
static uint64_t dirty_bits[RAM / LOCKVM_PAGE_SIZE / 64];

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
	uint64_t page = (uint64_t)((uint8_t *)info->si_addr - ram) / LOCKVM_PAGE_SIZE;
	if (!fault_page || (uint8_t *)info->si_addr < fault_page ||
	    (uint8_t *)info->si_addr >= fault_page + LOCKVM_PAGE_SIZE)
		abort();
	write_seen = 1;
	marked_at_write = (dirty_bits[page / 64] >> (page % 64)) & 1;
	mprotect(fault_page, LOCKVM_PAGE_SIZE, PROT_READ | PROT_WRITE);
}

static void vmm_writes_are_marked_dirty_after_the_write(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	char err[128];
	assert_int_equal(nic_attach(&vm, sv[0], mac, -1, err, sizeof(err)), 0);
	uint8_t frame[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
	assert_int_equal(write(sv[1], frame, sizeof(frame)), (ssize_t)sizeof(frame));
	nic_input(&vm);
	memset(dirty_bits, 0, sizeof(dirty_bits));
	atomic_store(&vm.vmm_dirty, dirty_bits);
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO}, old;
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	/* ram is page-aligned (see its declaration); the buffer is its own page. */
	uint64_t buf_gpa = BUF + LOCKVM_PAGE_SIZE;
	fault_page = ram + buf_gpa;
	assert_int_equal(mprotect(fault_page, LOCKVM_PAGE_SIZE, PROT_NONE), 0);
	struct lockvm_hc_net_recv a = {.data = buf_gpa, .len = sizeof(frame)};
	memcpy(ram + ARGS, &a, sizeof(a));
	call(LOCKVM_HC_NET_RECV, ARGS, 4);
	mprotect(fault_page, LOCKVM_PAGE_SIZE, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &old, NULL);
	fault_page = NULL;
	atomic_store(&vm.vmm_dirty, NULL);
	assert_false(vm_is_ending(&vm));
	memcpy(&a, ram + ARGS, sizeof(a));
	assert_int_equal(a.ret, sizeof(frame));
	assert_memory_equal(ram + buf_gpa, frame, sizeof(frame));
	uint64_t page = buf_gpa / LOCKVM_PAGE_SIZE, args_page = ARGS / LOCKVM_PAGE_SIZE;
	assert_true(write_seen);
	assert_false(marked_at_write); /* not yet when the VMM wrote it ... */
	assert_true((dirty_bits[page / 64] >> (page % 64)) & 1);	   /* ... but afterwards */
	assert_true((dirty_bits[args_page / 64] >> (args_page % 64)) & 1); /* and `ret` */
	nic_detach(&vm);
	close(sv[1]);
}

/* The guest's CPUID hides nested virtualisation and its kin. */
static void cpuid_filter_hides_virtualisation(void **state)
{
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 e[9];
	} c = {.head.nent = 9};
	const uint32_t all = 0xFFFFFFFF;
	const uint32_t fns[9] = {1,	     7,		 7,	     0x12,	0x40000000,
				 0x40000001, 0x80000001, 0x8000000A, 0x8000001F};
	for (unsigned i = 0; i < 9; i++)
		c.e[i] = (struct kvm_cpuid_entry2){.function = fns[i],
						   .index = i == 2,
						   .eax = all,
						   .ebx = all,
						   .ecx = all,
						   .edx = all};
	x86_cpuid_filter(&c.head);
	assert_int_equal(c.e[0].ecx, all & ~(1u << 5 | 1u << 6)); /* VMX, SMX */
	assert_int_equal(c.e[0].eax, all);			  /* the rest stays */
	assert_int_equal(c.e[0].edx, all);
	assert_int_equal(c.e[1].ebx, all & ~(1u << 2));	 /* SGX */
	assert_int_equal(c.e[1].ecx, all & ~(1u << 30)); /* SGX launch control */
	assert_int_equal(c.e[2].ebx, all);		 /* leaf 7 subleaf 1 untouched */
	for (unsigned i = 3; i < 9; i++) {
		if (i == 4 || i == 6)
			continue;
		assert_int_equal(c.e[i].eax | c.e[i].ebx | c.e[i].ecx | c.e[i].edx, 0);
	}
	assert_int_equal(c.e[4].ebx, all);		/* the KVM signature leaf stays */
	assert_int_equal(c.e[6].ecx, all & ~(1u << 2)); /* SVM */
	assert_int_equal(c.e[6].edx, all);		/* (1 GiB pages, NX, long mode) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(console_write_reaches_console, setup, teardown),
	    cmocka_unit_test_setup_teardown(exit_sets_status_and_clamps, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_buffer_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(struct_past_ram_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(wrong_size_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_port_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(read_direction_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(rep_out_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(table_has_every_number, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_exit_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(mmio_outside_doorbell_is_guest_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(doorbell_mmio_dispatches, setup, teardown),
	    cmocka_unit_test_setup_teardown(disk_requests_are_bounds_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(runner_pages_are_refused_to_every_writer, setup,
					    teardown),
	    cmocka_unit_test(cpuid_filter_hides_virtualisation),
	    cmocka_unit_test_setup_teardown(vmm_writes_are_marked_dirty_after_the_write, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
