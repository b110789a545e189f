/* Whole small files for the --linux test programs: put() writes text with the open flags given, file_is() compares a file with text. */
#ifndef LX_FILE_H
#define LX_FILE_H
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* 0 once text is written whole, -1 otherwise. */
static inline int put(const char *path, int flags, const char *text)
{
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Whether the file holds exactly text (at most 255 bytes). */
static inline int file_is(const char *path, const char *text)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == (ssize_t)strlen(text) && memcmp(buf, text, (size_t)n) == 0;
}

#endif
