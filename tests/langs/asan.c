/* A C program built with gcc -fsanitize=address (linux_langs.sh): ASan maps its shadow (terabytes, MAP_NORESERVE, at fixed 47-bit addresses) at start. "ok": heap use within bounds, then "asan ok"; "overflow": one byte past a heap block, which ASan reports (exit 1). LeakSanitizer stops the world with ptrace, which --linux does not serve: run with ASAN_OPTIONS=detect_leaks=0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t n = 1 << 20;
	char *p = malloc(n);
	if (!p)
		return 2;
	memset(p, 'a', n);
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i += 4096)
		sum += (unsigned char)p[i];
	if (argc > 1 && strcmp(argv[1], "overflow") == 0)
		((volatile char *)p)[n] = 1; /* one past the end: heap-buffer-overflow */
	free(p);
	printf("asan ok %lu\n", sum);
	return 0;
}
