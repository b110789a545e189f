/* lwIP's platform header for lockvm-vmm (mk/lwip.mk): x86-64 Linux, glibc, the stack served in the vCPU thread (NO_SYS=1). */
#ifndef LOCKVM_LWIP_ARCH_CC_H
#define LOCKVM_LWIP_ARCH_CC_H

#include <stdint.h>

#define LWIP_ERRNO_STDINCLUDE 1

/* Counted, never fatal: lwIP reports a bad input through its assert hook
 * (LWIP_ERROR) too, and nothing a guest sends may end the VMM. */
extern unsigned long linux_lwip_asserts;
#define LWIP_PLATFORM_ASSERT(x) (linux_lwip_asserts++)
#define LWIP_PLATFORM_DIAG(x)	\
	do {			\
	} while (0)

uint32_t linux_lwip_rand(void);
#define LWIP_RAND() linux_lwip_rand()

#endif
