/* The --linux page-table entry bits and page sizes, shared by the mm files (which edit the tables) and uaccess (which reads them). */
#ifndef LOCKVM_LINUX_PTE_H
#define LOCKVM_LINUX_PTE_H

#include <lockvm/abi.h>

#define PTE_P	  (1ULL << 0)
#define PTE_RW	  (1ULL << 1)
#define PTE_US	  (1ULL << 2)
#define PTE_A	  (1ULL << 5)
#define PTE_D	  (1ULL << 6)
#define PTE_PS	  (1ULL << 7) /* a 2 MiB page (in a PD) */
#define PTE_NX	  (1ULL << 63)
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PTE_ADDR  0x000FFFFFFFFFF000ULL /* the frame an entry names */
/* A bit the CPU ignores: the entry names a pool frame of the program's
 * (present, or kept while PROT_NONE); runner pages never have it. */
#define PTE_USED (1ULL << 9)

#define PAGE	   LOCKVM_PAGE_SIZE
#define PAGE_MASK  (PAGE - 1)
#define PAGE_SHIFT 12
#define PAGE_1G	   (1ULL << 30)
#define PAGE_2M	   (2ULL << 20)

#endif
