/* --linux test program: threads — a mutex under contention, condition variables, join (CLEARTID), thread-local storage, futex timeouts, EINTR, requeue, wake-op, EFAULT, private and shared futex keys, tgkill to one thread, per-thread signal masks, per-thread x87/SSE registers, a robust mutex whose owner died; modes: "exit-group" (a side thread's exit_group), "exec" (execve from a side thread), "spin" (a spinning thread does not starve main), "parallel" (two threads run at once on two vCPUs, seen by getcpu), "spinners" (three spinning threads all run), "exec-writer" (exec while a thread writes memory on another vCPU: the new image stays clean), "robust-loop" (a looping robust list at death). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h> values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT_PRIVATE	  128
#define FUTEX_WAKE_PRIVATE	  129
#define FUTEX_WAIT		  0
#define FUTEX_WAKE		  1
#define FUTEX_CMP_REQUEUE_PRIVATE 132
#define FUTEX_WAKE_OP_PRIVATE	  133
#define FUTEX_WAIT_BITSET	  9
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_CLOCK_REALTIME	  256
#define FUTEX_BITSET_MATCH_ANY	  0xFFFFFFFFu
#define FUTEX_OP_SET		  0
#define FUTEX_OP_CMP_EQ		  0
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
	((((op)&0xF) << 28) | (((cmp)&0xF) << 24) | (((oparg)&0xFFF) << 12) | ((cmparg)&0xFFF))
struct robust_list {
	struct robust_list *next;
};
struct robust_list_head {
	struct robust_list list;
	long futex_offset;
	struct robust_list *list_op_pending;
};

static int failures;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, what, errno,          \
			       strerror(errno));                                                   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static long futex(void *uaddr, int op, uint32_t val, const struct timespec *ts, void *uaddr2,
		  uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* ---- a mutex under contention, TLS ---- */

#define NTHREADS 4
#define NINCR	 20000
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_value;

static void *incr(void *arg)
{
	tls_value = (long)(intptr_t)arg;
	for (int i = 0; i < NINCR; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		if (i % 1000 == 0)
			sched_yield();
	}
	return (void *)(intptr_t)(tls_value == (long)(intptr_t)arg ? gettid_() : -1);
}

static void mutex_tls(void)
{
	pthread_t t[NTHREADS];
	tls_value = 99;
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, incr, (void *)(intptr_t)(i + 1)) == 0,
		      "pthread_create");
	pid_t tids[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;
		CHECK(pthread_join(t[i], &ret) == 0, "pthread_join");
		tids[i] = (pid_t)(intptr_t)ret;
		CHECK(tids[i] > 0 && tids[i] != getpid(), "each thread kept its own TLS and tid");
	}
	CHECK(tids[0] != tids[1], "threads have distinct tids");
	CHECK(counter == (long)NTHREADS * NINCR, "the mutex kept every increment");
	CHECK(tls_value == 99, "main's TLS untouched by the threads");
	CHECK(gettid_() == getpid(), "main's tid is the pid");
}

/* ---- condition variables ---- */

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int queue_len, consumed;

static void *consumer(void *arg)
{
	for (int n = 0; n < 100; n++) {
		pthread_mutex_lock(&lock);
		while (queue_len == 0)
			pthread_cond_wait(&cond, &lock);
		queue_len--;
		consumed++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void condvars(void)
{
	pthread_t c;
	CHECK(pthread_create(&c, NULL, consumer, NULL) == 0, "create consumer");
	for (int n = 0; n < 100; n++) {
		pthread_mutex_lock(&lock);
		while (queue_len >= 3)
			pthread_cond_wait(&cond, &lock);
		queue_len++;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
	}
	CHECK(pthread_join(c, NULL) == 0, "join consumer");
	CHECK(consumed == 100, "the consumer took all 100 items");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	CHECK(pthread_cond_timedwait(&cond, &lock, &ts) == ETIMEDOUT, "cond_timedwait times out");
	pthread_mutex_unlock(&lock);
}

/* ---- futex calls ---- */

static uint32_t word, word2;
static volatile long waiter_rc = 1, waiter_errno;
static volatile pid_t waiter_tid;
static volatile int got_usr1;
static volatile pid_t usr1_tid;

static void on_usr1(int sig)
{
	got_usr1++;
	usr1_tid = gettid_();
}

static void *futex_waiter(void *arg)
{
	waiter_tid = gettid_();
	uint32_t *w = arg;
	waiter_rc = futex(w, FUTEX_WAIT_PRIVATE, *w, NULL, NULL, 0);
	waiter_errno = errno;
	return NULL;
}

/* Waits until the thread is queued in the VMM (no way to see it: sleep). */
static void settle(void)
{
	sleep_ms(30);
}

static void futex_calls(void)
{
	word = 5;
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0) == -1 && errno == EAGAIN,
	      "FUTEX_WAIT on a changed value: EAGAIN");
	struct timespec rel = {0, 50 * 1000000};
	uint64_t t0 = now_ms();
	CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0) == -1 && errno == ETIMEDOUT,
	      "FUTEX_WAIT with a relative timeout: ETIMEDOUT");
	CHECK(now_ms() - t0 >= 45, "the relative timeout waited its 50 ms");
	struct timespec abs;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 30 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	t0 = now_ms();
	CHECK(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &abs, NULL,
		    FUTEX_BITSET_MATCH_ANY) == -1 &&
		  errno == ETIMEDOUT,
	      "FUTEX_WAIT_BITSET with an absolute CLOCK_REALTIME timeout: ETIMEDOUT");
	CHECK(now_ms() - t0 >= 20, "the absolute timeout waited");
	CHECK(futex((void *)16, FUTEX_WAKE, 1, NULL, NULL, 0) == -1 && errno == EFAULT,
	      "FUTEX_WAKE on an unmapped address: EFAULT");
	CHECK(futex((void *)16, FUTEX_WAIT, 0, NULL, NULL, 0) == -1 && errno == EFAULT,
	      "FUTEX_WAIT on an unmapped address: EFAULT");
	CHECK(futex((char *)&word + 1, FUTEX_WAKE, 1, NULL, NULL, 0) == -1 && errno == EINVAL,
	      "a misaligned futex: EINVAL");
	CHECK(futex(&word, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0) == -1 && errno == EINVAL,
	      "WAIT_BITSET with bitset 0: EINVAL");

	/* EINTR: a thread in FUTEX_WAIT takes a signal (no SA_RESTART). */
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	word = 0;
	CHECK(pthread_create(&t, NULL, futex_waiter, &word) == 0, "create waiter");
	settle();
	CHECK(syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1) == 0, "tgkill the waiter");
	pthread_join(t, NULL);
	CHECK(waiter_rc == -1 && waiter_errno == EINTR, "a signal ends FUTEX_WAIT with EINTR");
	CHECK(got_usr1 == 1 && usr1_tid == waiter_tid, "tgkill ran the handler on that thread");

	/* WAKE wakes the waiter: 1 woken, its wait returns 0. */
	CHECK(pthread_create(&t, NULL, futex_waiter, &word) == 0, "create waiter");
	settle();
	CHECK(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 1, "FUTEX_WAKE wakes 1");
	pthread_join(t, NULL);
	CHECK(waiter_rc == 0, "the woken FUTEX_WAIT returns 0");

	/* CMP_REQUEUE moves the waiter from word to word2, a huge count is fine. */
	CHECK(pthread_create(&t, NULL, futex_waiter, &word) == 0, "create waiter");
	settle();
	CHECK(futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(intptr_t)INT_MAX, &word2, 1) ==
		      -1 &&
		  errno == EAGAIN,
	      "CMP_REQUEUE with a changed value: EAGAIN");
	CHECK(futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(intptr_t)INT_MAX, &word2, 0) == 1,
	      "CMP_REQUEUE moves the one waiter (count INT_MAX)");
	CHECK(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0) == 0,
	      "nobody waits on the old word");
	/* WAKE_OP: word2 = 1 (SET), wake on word (none) and on word2 if old == 0. */
	CHECK(futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2,
		    FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)) == 1,
	      "WAKE_OP wakes the requeued waiter on word2");
	CHECK(word2 == 1, "WAKE_OP set word2");
	pthread_join(t, NULL);
	CHECK(waiter_rc == 0, "the requeued waiter returned 0");
}

/* ---- futex keys across processes ---- */

static void futex_keys(void)
{
	uint32_t *shared =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED, "mmap shared");
	*shared = 0;
	static uint32_t private_word;
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 400 * 1000000};
		long shared_rc = futex(shared, FUTEX_WAIT, 0, &ts, NULL, 0);
		long private_rc = futex(&private_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
		int private_errno = errno;
		_exit(shared_rc == 0 && private_rc == -1 && private_errno == ETIMEDOUT ? 0 : 1);
	}
	sleep_ms(50);
	CHECK(futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0) == 1,
	      "a shared futex in MAP_SHARED memory wakes the other process");
	sleep_ms(50);
	CHECK(futex(&private_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0,
	      "a private futex at the same address in another process is not the same");
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child saw the shared wake and its private wait time out");
}

/* ---- signals: per-thread masks, process-directed delivery ---- */

static volatile int masked_ready, masked_done;

static void *masked_thread(void *arg)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	masked_ready = 1;
	while (!masked_done)
		sched_yield();
	return NULL;
}

static void thread_masks(void)
{
	pthread_t t;
	got_usr1 = 0;
	CHECK(pthread_create(&t, NULL, masked_thread, NULL) == 0, "create masked thread");
	while (!masked_ready)
		sched_yield();
	sigset_t now;
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	CHECK(!sigismember(&now, SIGUSR1), "a thread's mask is its own: main's unchanged");
	kill(getpid(), SIGUSR1); /* to the process: only main takes it */
	for (int i = 0; i < 100 && !got_usr1; i++)
		sched_yield();
	CHECK(got_usr1 == 1 && usr1_tid == getpid(),
	      "a process-directed signal runs on the thread that does not block it");
	masked_done = 1;
	pthread_join(t, NULL);
}

/* ---- a robust mutex whose owner died ---- */

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
	pthread_mutex_lock(&robust);
	return NULL; /* exits with it held */
}

static void robust_mutex(void)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &attr);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, die_holding, NULL) == 0, "create owner");
	pthread_join(t, NULL);
	CHECK(pthread_mutex_lock(&robust) == EOWNERDEAD, "its owner died: EOWNERDEAD");
	CHECK(pthread_mutex_consistent(&robust) == 0, "made consistent");
	CHECK(pthread_mutex_unlock(&robust) == 0, "unlocked");
}

/* ---- a leader that exits before its thread ---- */

static void *exit_late(void *arg)
{
	sleep_ms(100);
	exit(5); /* exit_group: the process's status */
}

static void leader_exits_first(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exit_late, NULL);
		pthread_exit(NULL); /* the leader goes; its thread runs on */
	}
	int st = 0;
	sleep_ms(30);
	CHECK(waitpid(pid, &st, WNOHANG) == 0, "wait does not see the leader while its thread runs");
	CHECK(waitpid(pid, &st, 0) == pid, "wait sees it once the group is gone");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "with the last thread's exit_group status");
}

/* ---- scheduling calls ---- */

static void sched_calls(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1,
	      "sched_getaffinity: at least one vCPU");
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "sched_setaffinity to the same mask");
	cpu_set_t none;
	CPU_ZERO(&none);
	CHECK(sched_setaffinity(0, sizeof(none), &none) == -1 && errno == EINVAL,
	      "sched_setaffinity with no CPU: EINVAL");
	/* Raw calls: musl's wrappers answer ENOSYS themselves. */
	CHECK(syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER, "SCHED_OTHER");
	struct sched_param p = {.sched_priority = 5};
	CHECK(syscall(SYS_sched_getparam, 0, &p) == 0 && p.sched_priority == 0,
	      "sched_getparam: priority 0");
	unsigned cpu = 99, node = 99;
	CHECK(syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && cpu < (unsigned)CPU_COUNT(&set) &&
		  node == 0,
	      "getcpu");
	CHECK(sched_yield() == 0, "sched_yield");
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1, "nprocs");
}

/* ---- modes ---- */

static void *exit_group_thread(void *arg)
{
	sleep_ms(20);
	exit(42); /* exit_group: the whole process, main blocked in join too */
}

static void *exec_thread(void *arg)
{
	char *argv[] = {(char *)arg, "exec-child", NULL};
	execv((char *)arg, argv);
	return NULL;
}

static void *spinner(void *arg)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
	return NULL;
}

/* "parallel": each thread's vCPU (getcpu) as it last saw it, -1 before. */
static volatile int seen_cpu[2] = {-1, -1};
static volatile int saw_other;

static void *cpu_watcher(void *arg)
{
	int me = (int)(intptr_t)arg;
	/* Bounded: on one vCPU both see cpu 0 and this ends without a find. */
	for (long i = 0; i < 5000 && !saw_other; i++) {
		unsigned cpu = 0;
		syscall(SYS_getcpu, &cpu, NULL, NULL);
		seen_cpu[me] = (int)cpu;
		int other = seen_cpu[1 - me];
		if (other >= 0 && other != (int)cpu)
			saw_other = 1; /* both run now, each on its own vCPU */
	}
	return NULL;
}

/* "exec-writer": a thread writes all of area on the other vCPU while main
 * execs "exec-check", whose own area (fresh zero pages, maybe the old
 * image's frames) must stay zero: no write of the old image lands there. */
static unsigned char area[4 << 20];
static volatile unsigned long writer_rounds;

static void *area_writer(void *arg)
{
	for (;;) {
		for (size_t i = 0; i < sizeof(area); i += 64)
			((volatile unsigned char *)area)[i] = 0x5A;
		writer_rounds++;
	}
	return NULL;
}

static int area_check(void)
{
	for (int round = 0; round < 200; round++) { /* ~ tens of ms of looking */
		for (size_t i = 0; i < sizeof(area); i += 64)
			if (((volatile unsigned char *)area)[i]) {
				printf("the old image wrote into the new one at offset %zu\n", i);
				return 1;
			}
	}
	printf("new image untouched\n");
	return 0;
}

/* "spinners": three threads that never make a call. */
static volatile unsigned long spins[3];

static void *counting_spinner(void *arg)
{
	volatile unsigned long *count = &spins[(intptr_t)arg];
	for (;;)
		(*count)++;
	return NULL;
}

static void *loop_robust(void *arg)
{
	/* A robust list whose entry points at itself: the walk must stop. */
	static struct robust_list entry;
	static struct robust_list_head head;
	entry.next = &entry;
	head.list.next = &entry;
	head.futex_offset = 0;
	head.list_op_pending = NULL;
	syscall(SYS_set_robust_list, &head, sizeof(head));
	return NULL;
}

/* x87/SSE state is per thread: each keeps its own xmm7 across futex waits
 * that switch to the other. */
static uint32_t fpu_turn;
static volatile int fpu_bad;

/* FUTEX_WAIT on addr (while it holds val) with xmm7 = value; xmm7 after. */
static uint64_t wait_keeping_xmm7(uint64_t value, uint32_t *addr, uint32_t val)
{
	uint64_t out;
	long rax = SYS_futex;
	register long r10 asm("r10") = 0; /* no timeout */
	asm volatile("movq %[in], %%xmm7\n\t"
		     "syscall\n\t"
		     "movq %%xmm7, %[out]"
		     : "+a"(rax), [out] "=r"(out), "+r"(r10)
		     : [in] "r"(value), "D"(addr), "S"((long)FUTEX_WAIT_PRIVATE), "d"((long)val)
		     : "rcx", "r11", "memory", "xmm7");
	return out;
}

static void fpu_play(uint32_t mine, uint64_t value)
{
	for (int i = 0; i < 20; i++) {
		while (__atomic_load_n(&fpu_turn, __ATOMIC_ACQUIRE) != mine)
			if (wait_keeping_xmm7(value, &fpu_turn, !mine) != value)
				fpu_bad++;
		__atomic_store_n(&fpu_turn, !mine, __ATOMIC_RELEASE);
		futex(&fpu_turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
}

static void *fpu_partner(void *arg)
{
	fpu_play(1, 0x1111222233334444ULL);
	return NULL;
}

static void thread_fpu(void)
{
	pthread_t t;
	CHECK(pthread_create(&t, NULL, fpu_partner, NULL) == 0, "pthread_create");
	fpu_play(0, 0x5555666677778888ULL);
	pthread_join(t, NULL);
	CHECK(fpu_bad == 0, "a thread's xmm7 changed across a switch to another thread");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t t;
	if (strcmp(mode, "exit-group") == 0) {
		pthread_create(&t, NULL, exit_group_thread, NULL);
		pthread_join(t, NULL);
		return 1;
	}
	if (strcmp(mode, "exec") == 0) {
		printf("pid %d\n", getpid());
		pthread_create(&t, NULL, exec_thread, argv[0]);
		pthread_join(t, NULL);
		return 1;
	}
	if (strcmp(mode, "exec-child") == 0) {
		int threads = 0;
		printf("exec'd pid %d tid %d\n", getpid(), gettid_());
		(void)threads;
		return gettid_() == getpid() ? 0 : 1;
	}
	if (strcmp(mode, "spin") == 0) {
		pthread_create(&t, NULL, spinner, NULL);
		sleep_ms(100);
		long sum = 0;
		for (int i = 0; i < 1000; i++)
			sum += getppid() + i;
		printf("main finished beside a spinner (%ld)\n", sum > 0 ? 1L : 0L);
		return 0; /* exit_group ends the spinner */
	}
	if (strcmp(mode, "parallel") == 0) {
		pthread_t u;
		pthread_create(&t, NULL, cpu_watcher, (void *)0);
		pthread_create(&u, NULL, cpu_watcher, (void *)1);
		pthread_join(t, NULL);
		pthread_join(u, NULL);
		if (!saw_other) {
			printf("the threads never ran at once (cpus %d and %d)\n", seen_cpu[0],
			       seen_cpu[1]);
			return 1;
		}
		printf("two threads ran at once on two vCPUs\n");
		return 0;
	}
	if (strcmp(mode, "exec-writer") == 0) {
		pthread_create(&t, NULL, area_writer, NULL);
		while (writer_rounds < 3) /* it runs, on the other vCPU */
			sched_yield();
		char *args[] = {argv[0], "exec-check", NULL};
		execv(argv[0], args);
		return 1;
	}
	if (strcmp(mode, "exec-check") == 0)
		return area_check();
	if (strcmp(mode, "parallel-forever") == 0) { /* two threads spin, main waits */
		pthread_create(&t, NULL, spinner, NULL);
		pthread_create(&t, NULL, spinner, NULL);
		pthread_join(t, NULL);
		return 1;
	}
	if (strcmp(mode, "spinners") == 0) {
		for (intptr_t i = 0; i < 3; i++)
			pthread_create(&t, NULL, counting_spinner, (void *)i);
		/* Each spinner gets a slice, and main its turns between. */
		for (int round = 0; round < 2000; round++) {
			if (spins[0] && spins[1] && spins[2]) {
				printf("three spinners all ran, main too\n");
				return 0; /* exit_group ends them */
			}
			sleep_ms(5);
		}
		printf("a spinner starved: %lu %lu %lu\n", spins[0], spins[1], spins[2]);
		return 1;
	}
	if (strcmp(mode, "robust-loop") == 0) {
		pthread_create(&t, NULL, loop_robust, NULL);
		pthread_join(t, NULL);
		printf("robust loop bounded\n");
		return 0;
	}
	mutex_tls();
	condvars();
	futex_calls();
	futex_keys();
	thread_masks();
	robust_mutex();
	leader_exits_first();
	sched_calls();
	thread_fpu();
	if (failures)
		return 1;
	printf("thread ok\n");
	return 0;
}
