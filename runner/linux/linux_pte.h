/* The --linux page-table entry bits and page sizes, shared by the mm (which edits the tables) and uaccess (which reads them). */
#ifndef LOCKVM_LINUX_PTE_H
#define LOCKVM_LINUX_PTE_H

#include <lockvm/abi.h>

#define PTE_P	  (1ULL << 0)
#define PTE_RW	  (1ULL << 1)
#define PTE_US	  (1ULL << 2)
#define PTE_A	  (1ULL << 5)
#define PTE_D	  (1ULL << 6)
#define PTE_NX	  (1ULL << 63)
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)
/* Bits the CPU ignores, used as the map of who owns each page. */
#define PTE_USED     (1ULL << 9)  /* the program's (present or PROT_NONE) */
#define PTE_RESERVED (1ULL << 10) /* the runner's: never the program's */
#define PTE_RIGHTS   (PTE_P | PTE_RW | PTE_US | PTE_NX)

#define PAGE	  LOCKVM_PAGE_SIZE
#define PAGE_MASK (PAGE - 1)
#define PAGE_1G	  (1ULL << 30)
#define PAGE_2M	  (2ULL << 20)

#endif
