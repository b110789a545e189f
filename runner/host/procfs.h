/* Small readers of /proc for the commands that look at a running VMM from outside. */
#ifndef LOCKVM_PROCFS_H
#define LOCKVM_PROCFS_H

#include <stddef.h>

/* The first line of a small file, without its newline; "" when unreadable. */
void procfs_line(const char *path, char *out, size_t size);

/* The value of "Key:" in DIR/status (DIR: /proc/PID or /proc/PID/task/TID),
 * leading blanks dropped; "" when absent. */
void procfs_status(const char *dir, const char *key, char *out, size_t size);

/* The MAC label the kernel reports for pid (/proc/PID/attr/current):
 * SELinux context or AppArmor profile without its " (enforce)" mode; ""
 * when unreadable or pid <= 0. */
void procfs_mac_label(long pid, char *out, size_t size);

#endif
