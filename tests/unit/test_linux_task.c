/* Unit tests for --linux tasks: fork gives the child its own fd table sharing the open files, --pids bounds the table, wait4 reaps only the caller's own children, kill(-pgid) reaches a whole group, exit statuses as Linux encodes them, a parent's pages writable again once its child is gone, a vCPU idle past --timeout ends the VM, a job whose own exit comes past its --timeout still ends 124, a socket event taken in another task's blocking call wakes the task blocked on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "linux.h"
#include "linux_inet.h"
#include "linux_pte.h"

#define NR_CLOSE      3
#define NR_NANOSLEEP  35
#define NR_FORK	      57
#define NR_WAIT4      61
#define NR_KILL	      62
#define NR_SETPGID    109
#define NR_EXIT_GROUP 231
#define WNOHANG	      1

static struct vm vm;
static struct linux_proc proc;
static uint64_t status_addr; /* a writable word of the program's */

/* pid 1 with stdio fds and a page for results, at most max_tasks tasks. */
static void start(unsigned max_tasks)
{
	char err[256];
	vm_init(&vm);
	assert_int_equal(guest_mem_map(&vm.mem, 8ULL << 20), 0);
	vm.console_fd = -1;
	memset(&proc, 0, sizeof(proc));
	proc.vm = &vm;
	proc.cfg.fs_fd = -1;
	proc.cfg.max_tasks = max_tasks;
	proc.fs.root_fd = -1;
	assert_int_equal(linux_mm_init(&proc, err, sizeof(err)), 0);
	linux_fd_init(&proc);
	status_addr = 0x300000;
	assert_int_equal(
	    linux_mm_map(&proc, status_addr, 0x1000, LINUX_PROT_READ | LINUX_PROT_WRITE, true), 0);
}

static void stop(void)
{
	linux_tasks_free(&proc);
	linux_fd_free(&proc);
	linux_mm_free(&proc);
	guest_mem_unmap(&vm.mem);
}

/* One call by the running task; its result. */
static long call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct linux_regs r = {.rax = nr, .rdi = a0, .rsi = a1, .rdx = a2, .rip = 0x401000};
	linux_syscall(&proc, &r);
	return (long)r.rax;
}

static void fork_copies_the_fd_table(void **state)
{
	start(0);
	long pid = call(NR_FORK, 0, 0, 0);
	assert_int_equal(pid, 2);
	struct linux_task *child = linux_task_find(&proc, 2);
	assert_non_null(child);
	assert_int_equal(child->ppid, 1);
	assert_int_equal(child->regs.rax, 0); /* fork returns 0 in the child */
	/* Its own table, naming the same open files, each with one more reference. */
	assert_ptr_not_equal(child->saved.fds, proc.fds);
	assert_ptr_equal(child->saved.fds[1].file, proc.fds[1].file);
	assert_int_equal(proc.fds[1].file->refs, 2);
	assert_int_equal(call(NR_CLOSE, 1, 0, 0), 0);
	assert_null(proc.fds[1].file);
	assert_non_null(child->saved.fds[1].file); /* the parent's close leaves the child's */
	assert_int_equal(child->saved.fds[1].file->refs, 1);
	assert_ptr_not_equal(child->saved.mm, proc.mm); /* its own address space */
	stop();
}

static void pids_bound_the_table(void **state)
{
	start(3);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 2);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 3);
	assert_int_equal(call(NR_FORK, 0, 0, 0), -EAGAIN);
	assert_int_equal(proc.ntasks, 3);
	stop();
}

static void wait_reaps_only_own_children(void **state)
{
	start(0);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 2);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 3);
	/* Task 3 belongs to task 2 now (as if 2 had forked it). */
	linux_task_find(&proc, 3)->ppid = 2;
	assert_int_equal(call(NR_KILL, 3, 9, 0), 0);
	assert_int_equal(linux_task_find(&proc, 3)->run, LINUX_TASK_ZOMBIE);
	assert_int_equal(call(NR_WAIT4, 3, status_addr, WNOHANG), -ECHILD);
	assert_int_equal(call(NR_WAIT4, (uint64_t)-1, status_addr, WNOHANG), 0); /* 2 runs */
	assert_non_null(linux_task_find(&proc, 3)); /* still there for its parent */
	/* Its own child, killed: reaped with the signal in the status. */
	assert_int_equal(call(NR_KILL, 2, 15, 0), 0);
	assert_int_equal(call(NR_WAIT4, (uint64_t)-1, status_addr, 0), 2);
	int32_t st;
	assert_int_equal(linux_copy_in(&proc, &st, status_addr, sizeof(st)), 0);
	assert_int_equal(st, 15);
	assert_null(linux_task_find(&proc, 2));
	/* 3's parent left: pid 1 inherits it and may reap it. */
	assert_int_equal(linux_task_find(&proc, 3)->ppid, 1);
	assert_int_equal(call(NR_WAIT4, 3, status_addr, 0), 3);
	assert_int_equal(call(NR_WAIT4, (uint64_t)-1, status_addr, WNOHANG), -ECHILD);
	stop();
}

static void kill_reaches_a_group(void **state)
{
	start(0);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 2);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 3);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 4);
	assert_int_equal(call(NR_SETPGID, 2, 0, 0), 0);
	assert_int_equal(call(NR_SETPGID, 3, 2, 0), 0);
	assert_int_equal(call(NR_SETPGID, 4, 99, 0), -EPERM); /* no such group */
	assert_int_equal(call(NR_KILL, (uint64_t)-2, 9, 0), 0);
	assert_int_equal(linux_task_find(&proc, 2)->run, LINUX_TASK_ZOMBIE);
	assert_int_equal(linux_task_find(&proc, 3)->run, LINUX_TASK_ZOMBIE);
	assert_int_equal(linux_task_find(&proc, 4)->run, LINUX_TASK_RUNNABLE);
	assert_int_equal(call(NR_KILL, (uint64_t)-7, 9, 0), -ESRCH);
	struct linux_task_info info;
	assert_true(linux_task_iter(&proc, 1, &info));
	assert_int_equal(info.pid, 2);
	assert_int_equal(info.state, 'Z');
	assert_false(linux_task_iter(&proc, 4, &info));
	stop();
}

static void iterator_shows_argv(void **state)
{
	start(0);
	struct linux_exec_args args = {.limit = 1 << 20};
	assert_int_equal(linux_exec_args_add(&args, "sh", false), 0);
	assert_int_equal(linux_exec_args_add(&args, "-c", false), 0);
	assert_int_equal(linux_exec_args_add(&args, "HOME=/", true), 0);
	linux_task_set_cmdline(&proc, &args);
	linux_exec_args_free(&args);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 2);
	struct linux_task_info info;
	assert_true(linux_task_iter(&proc, 1, &info));
	assert_int_equal(info.ppid, 1);
	assert_int_equal(info.state, 'R');
	assert_int_equal(info.cmdline_len, 6); /* "sh\0-c\0", not the environment */
	assert_memory_equal(info.cmdline, "sh\0-c\0", 6);
	stop();
}

static void parent_writes_again_after_child_exit(void **state)
{
	start(0);
	uint32_t word = 7;
	assert_int_equal(linux_copy_out(&proc, status_addr, &word, sizeof(word)), 0);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 2);
	uint64_t *pte = linux_mm_pte(proc.mm, status_addr, false);
	assert_non_null(pte);
	assert_false(*pte & PTE_RW); /* shared copy-on-write with the child */
	assert_int_equal(call(NR_KILL, 2, 9, 0), 0);
	assert_true(*pte & PTE_RW); /* its only holder again: writable without a fault */
	assert_int_equal(call(NR_WAIT4, 2, 0, 0), 2);
	stop();
}

/* A vCPU with no task to run past --timeout ends the VM (124) itself: its
 * caller must not resume the task it left, whose address space may be gone. */
static void idle_past_timeout_ends_the_vm(void **state)
{
	start(0);
	vm.deadline_ns = 1; /* long past */
	struct linux_regs r = {0};
	assert_false(linux_sched_idle(&proc, &r));
	assert_true(vm_is_ending(&vm));
	assert_int_equal(vm.exit_status, EXIT_TIMEOUT);
	stop();
}

/* pid 1's own exit_group(0), served after --timeout's deadline (a sleep the
 * deadline cut short returns, and the program exits before the VMM's timer
 * ends the VM): the timeout wins, always 124. integration/linux.sh races
 * this for real; here it is certain. */
static void exit_past_timeout_is_a_timeout(void **state)
{
	start(0);
	vm.deadline_ns = 1; /* long past */
	(void)call(NR_EXIT_GROUP, 0, 0, 0);
	assert_true(vm_is_ending(&vm));
	assert_int_equal(vm.exit_status, EXIT_TIMEOUT);
	stop();
}

/* Task 2 waits in connect for a SYN-ACK; pid 1's nanosleep takes it at
 * the call's entry (linux_net_tick serves the stack for every task) and
 * blocks. Task 2 must run now, not when the sleep ends: with the wake
 * lost, `lockvm exec`'d wget hung beside `sleep 300` (two vCPUs). The
 * VM's --timeout bounds the sleep, so a lost wake fails the test, never
 * hangs it. */
static void socket_event_in_a_blocking_call_wakes_its_task(void **state)
{
	start(0);
	linux_cpu_init(&proc);
	assert_int_equal(call(NR_FORK, 0, 0, 0), 2);
	struct linux_task *waiter = linux_task_find(&proc, 2);
	waiter->run = LINUX_TASK_BLOCKED;
	waiter->block_gen = proc.wake_gen; /* nothing happened since it blocked */
	proc.net_seen = linux_inet_events;
	linux_inet_events++; /* the SYN-ACK, as lwIP's connected callback counts it */
	const int64_t ts[2] = {30, 0};
	assert_int_equal(linux_copy_out(&proc, status_addr, ts, sizeof(ts)), 0);
	vm.deadline_ns = now_ns() + 2000000000ULL;
	(void)call(NR_NANOSLEEP, status_addr, 0, 0);
	assert_false(vm_is_ending(&vm)); /* it gave way at once */
	assert_ptr_equal(proc.cur, waiter);
	vm.deadline_ns = 0;
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fork_copies_the_fd_table),
	    cmocka_unit_test(pids_bound_the_table),
	    cmocka_unit_test(wait_reaps_only_own_children),
	    cmocka_unit_test(kill_reaches_a_group),
	    cmocka_unit_test(iterator_shows_argv),
	    cmocka_unit_test(parent_writes_again_after_child_exit),
	    cmocka_unit_test(idle_past_timeout_ends_the_vm),
	    cmocka_unit_test(exit_past_timeout_is_a_timeout),
	    cmocka_unit_test(socket_event_in_a_blocking_call_wakes_its_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
