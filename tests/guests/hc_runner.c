/* Hostile: hc_runner.elf WRITER ADDR [LEN]: one hypercall that has the VMM read or write guest memory at ADDR (hex, or bootinfo, args, heap) on the guest's behalf; a range over the runner's pages must stop the guest with a guest error. Prints "done: ret=N" when the call came back. */
#include "hostile.h"

static union {
	struct lockvm_hc_nop nop;
	struct lockvm_hc_sleep sleep;
	struct lockvm_hc_time time;
	struct lockvm_hc_wait wait;
	struct lockvm_hc_net_wait net_wait;
} args;

int main(int argc, char **argv)
{
	if (argc < 3) {
		lv_puts("usage: hc_runner.elf disk-read|disk-write|random|console|net-recv|net-send|"
			"wait|wake|args-nop|args-time|args-sleep|args-wait|args-net-wait ADDR [LEN]");
		return 2;
	}
	const char *w = argv[1], *where = argv[2];
	uint64_t addr;
	if (!lv_strcmp(where, "bootinfo"))
		addr = (uintptr_t)lv_boot();
	else if (!lv_strcmp(where, "args"))
		addr = lv_boot()->argv;
	else if (!lv_strcmp(where, "heap"))
		addr = (uintptr_t)lv_heap_start();
	else
		addr = lv_strtoull(where, 0, 16);
	uint64_t len = argc > 3 ? lv_strtoull(argv[3], 0, 16) : 16;
	void *p = (void *)(uintptr_t)addr;
	long ret;
	/* The argument struct itself, with harmless IN fields, over ADDR:
	 * the VMM writes `ret` (and other OUT fields) back there. */
	const char *struct_calls[] = {"args-nop", "args-time", "args-sleep", "args-wait",
				      "args-net-wait"};
	const unsigned struct_nrs[] = {LOCKVM_HC_NOP, LOCKVM_HC_TIME, LOCKVM_HC_SLEEP,
				       LOCKVM_HC_WAIT, LOCKVM_HC_NET_WAIT};
	for (unsigned i = 0; i < sizeof(struct_nrs) / sizeof(struct_nrs[0]); i++) {
		if (lv_strcmp(w, struct_calls[i]))
			continue;
		if (!lv_strcmp(where, "heap")) { /* the control: a struct the guest owns */
			args.wait = (struct lockvm_hc_wait){.addr = (uintptr_t)&args, .expected = 1};
			addr = (uintptr_t)&args;
		}
		raw_hypercall(struct_nrs[i], (uint32_t)addr);
		lv_printf("done: struct at 0x%lx\n", (unsigned long)addr);
		return 0;
	}
	if (!lv_strcmp(w, "disk-read"))
		ret = lv_blk_read(0, 0, 1, p);
	else if (!lv_strcmp(w, "disk-write"))
		ret = lv_blk_write(0, 0, 1, p);
	else if (!lv_strcmp(w, "random"))
		ret = lv_random(p, len);
	else if (!lv_strcmp(w, "console"))
		ret = lv_write(p, len);
	else if (!lv_strcmp(w, "net-recv"))
		ret = lv_net_recv(p, len);
	else if (!lv_strcmp(w, "net-send"))
		ret = lv_net_send(p, 1);
	else if (!lv_strcmp(w, "wait"))
		ret = lv_wait(p, 0x12345678, 1000);
	else if (!lv_strcmp(w, "wake"))
		ret = lv_wake(p);
	else
		return 2;
	lv_printf("\ndone: ret=%ld\n", ret);
	return 0;
}
