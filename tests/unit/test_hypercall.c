/* Unit tests of hypercall decoding and VM-exit dispatch on a VM without KVM (memory only). */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "blk.h"
#include "hypercall.h"
#include "vcpu.h"
#include "vm.h"

#define RAM 0x100000
static uint8_t ram[RAM];
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
	struct lockvm_hc_console_write a = {.data = 0x2000, .len = 5};
	memcpy(ram + 0x2000, "hello", 5);
	memcpy(ram + 0x1000, &a, sizeof(a));
	call(LOCKVM_HC_CONSOLE_WRITE, 0x1000, 4);
	assert_false(vm_is_ending(&vm));
	memcpy(&a, ram + 0x1000, sizeof(a));
	assert_int_equal(a.ret, 5);
	char got[8] = "";
	assert_int_equal(read(console_pipe[0], got, sizeof(got)), 5);
	assert_memory_equal(got, "hello", 5);
}

static void exit_sets_status_and_clamps(void **state)
{
	struct lockvm_hc_exit a = {.status = 1000};
	memcpy(ram + 0x1000, &a, sizeof(a));
	call(LOCKVM_HC_EXIT, 0x1000, 4);
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
	memcpy(ram + 0x1000, &a, sizeof(a));
	guest_error(LOCKVM_HC_CONSOLE_WRITE, 0x1000, 4);
}

static void struct_past_ram_is_guest_error(void **state)
{
	guest_error(LOCKVM_HC_CONSOLE_WRITE, RAM - 8, 4);
}

static void wrong_size_is_guest_error(void **state)
{
	guest_error(LOCKVM_HC_NOP, 0x1000, 2);
}

static void unknown_port_is_guest_error(void **state)
{
	guest_error(LOCKVM_HC_COUNT + 3, 0x1000, 4);
}

static void read_direction_is_guest_error(void **state)
{
	hypercall_dispatch(&vcpu, LOCKVM_HC_PORT_BASE, false, 4, 1, 0x1000);
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
}

static void rep_out_is_guest_error(void **state)
{
	hypercall_dispatch(&vcpu, LOCKVM_HC_PORT_BASE + LOCKVM_HC_NOP, true, 4, 2, 0x1000);
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
	memcpy(ram + 0x1000, &a, sizeof(a));
	memset(&run, 0, sizeof(run));
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.phys_addr = LOCKVM_DOORBELL_GPA + 4 * LOCKVM_HC_NOP;
	run.mmio.len = 4;
	run.mmio.is_write = 1;
	uint32_t gpa = 0x1000;
	memcpy(run.mmio.data, &gpa, 4);
	vcpu.run = &run;
	vcpu_handle_exit(&vcpu, KVM_EXIT_MMIO);
	vcpu.run = NULL;
	assert_false(vm_is_ending(&vm));
	memcpy(&a, ram + 0x1000, sizeof(a));
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
	struct lockvm_hc_blk_io io = {.disk = 0, .count = 1, .sector = 8, .data = 0x2000};
	memcpy(ram + 0x1000, &io, sizeof(io));
	call(LOCKVM_HC_BLK_READ, 0x1000, 4);
	memcpy(&io, ram + 0x1000, sizeof(io));
	assert_int_equal(io.ret, -LOCKVM_ERANGE);
	io = (struct lockvm_hc_blk_io){.disk = 0, .count = 1, .sector = 7, .data = 0x2000};
	memcpy(ram + 0x1000, &io, sizeof(io));
	call(LOCKVM_HC_BLK_WRITE, 0x1000, 4);
	memcpy(&io, ram + 0x1000, sizeof(io));
	assert_int_equal(io.ret, -LOCKVM_EROFS);
	io = (struct lockvm_hc_blk_io){.disk = 0, .count = 1, .sector = 7, .data = 0x2000};
	memcpy(ram + 0x1000, &io, sizeof(io));
	call(LOCKVM_HC_BLK_READ, 0x1000, 4);
	memcpy(&io, ram + 0x1000, sizeof(io));
	assert_int_equal(io.ret, 0);
	assert_false(vm_is_ending(&vm));
	close(fd);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
