/* Block devices: attaching disk fds to a VM. */
#ifndef LOCKVM_BLK_H
#define LOCKVM_BLK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

/* Adds the disk open on `fd` (regular file or block device, size a
 * multiple of 512). Returns 0, or -1 with a one-line reason in err. */
int blk_attach(struct vm *vm, int fd, bool read_only, char *err, size_t errlen);

#endif
