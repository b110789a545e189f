/* --linux test "interpreter": a freestanding static-PIE that says it ran and exits, put in a test tree as /lib64/ld-linux-x86-64.so.2 so a test can tell the tree's interpreter from the host's. */
static long sys3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

void _start(void)
{
	static const char msg[] = "the tree's interpreter ran\n";
	sys3(1, 1, (long)msg, sizeof(msg) - 1);
	sys3(231, 0, 0, 0);
	for (;;)
		;
}
