/* --linux test program: reads files of the --fs tree, lists a directory, writes and reads back in /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			printf("%s: %s\n", argv[i], strerror(errno));
			continue;
		}
		static uint8_t buf[1 << 20];
		size_t total = 0;
		uint32_t h = 2166136261u;
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			for (size_t k = 0; k < n; k++)
				h = (h ^ buf[k]) * 16777619u;
			total += n;
		}
		fclose(f);
		/* the same bytes through a private file mapping */
		int fd = open(argv[i], O_RDONLY);
		struct stat st;
		fstat(fd, &st);
		uint32_t hm = 0;
		if (st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			hm = m == MAP_FAILED ? 0 : fnv(m, (size_t)st.st_size);
		} else {
			hm = h;
		}
		close(fd);
		printf("%s: %zu bytes fnv=%08x mmap=%s\n", argv[i], total, h, hm == h ? "same" : "DIFFERENT");
	}
	DIR *d = opendir("/data");
	int entries = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		entries++;
	if (d)
		closedir(d);
	printf("/data has %d entries\n", entries);
	FILE *w = fopen("/tmp/out.txt", "w");
	if (!w)
		return printf("/tmp/out.txt: %s\n", strerror(errno)), 1;
	for (int i = 0; i < 1000; i++)
		fprintf(w, "line %d\n", i);
	fclose(w);
	FILE *r = fopen("/tmp/out.txt", "r");
	char line[64];
	int lines = 0;
	while (r && fgets(line, sizeof(line), r))
		lines++;
	if (r)
		fclose(r);
	printf("/tmp round trip: %d lines\n", lines);
	if (unlink("/tmp/out.txt") != 0 || access("/tmp/out.txt", F_OK) == 0)
		return printf("unlink failed\n"), 1;
	char cwd[256];
	if (chdir("/data") != 0 || !getcwd(cwd, sizeof(cwd)))
		return printf("chdir/getcwd failed\n"), 1;
	printf("cwd %s\n", cwd);
	return 0;
}
