/* A C program with one heap over-read (linux_langs.sh runs it under valgrind in a --linux VM: memcheck names the read, "0 bytes after a block of size 40"). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	int *p = malloc(10 * sizeof(int));
	if (!p)
		return 2;
	for (int i = 0; i < 10; i++)
		p[i] = i;
	volatile int past = p[10]; /* one int past the end */
	(void)past;
	free(p);
	puts("overread done");
	return 0;
}
