/* Pseudo-terminals of a Linux-ABI guest (linux_pty.c): /dev/ptmx and /dev/pts/N, a pair in the VMM with its line discipline. */
#ifndef LOCKVM_LINUX_PTY_H
#define LOCKVM_LINUX_PTY_H

#include "linux.h"

/* open() of /dev/ptmx (a new pair's master) or /dev/pts/N (its slave,
 * once unlocked). The fd or -errno. */
long linux_pty_open(struct linux_proc *proc, struct linux_node *node, uint64_t flags);
/* The last fd of an open pty end is gone. */
void linux_pty_release(struct linux_proc *proc, struct linux_file *f);
/* read or write of a pty end: buf is the checked buffer of len bytes. */
long linux_pty_io(struct linux_proc *proc, struct linux_file *f, uint8_t *buf, uint64_t len,
		  bool write_it);
/* poll events of a pty end. */
short linux_pty_poll(const struct linux_file *f);
/* The terminal ioctls of a pty end: termios, window size, the controlling
 * terminal and its foreground group, TIOCGPTN/TIOCSPTLCK/TIOCGPTPEER. */
long linux_pty_ioctl(struct linux_proc *proc, struct linux_file *f, uint64_t cmd, uint64_t arg);
/* The controlling terminal of session sid as /proc's tty_nr (0: none),
 * its foreground group in *pgrp (-1: none). */
unsigned linux_pty_of_session(const struct linux_proc *proc, int sid, int *pgrp);
/* Frees the pairs left (the VM's end). */
void linux_pty_free_all(struct linux_proc *proc);

#endif
