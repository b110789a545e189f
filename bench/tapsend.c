/* The host baseline of BENCH net: writes netsend.elf's frames to a tap device it creates (optionally on a bridge) and prints the rate. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netsend_frame.h"

extern unsigned int if_nametoindex(const char *ifname);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	/* tapsend TAPNAME BRIDGE|- DST_MAC N */
	if (argc != 5) {
		fprintf(stderr, "usage: tapsend TAPNAME BRIDGE|- DST_MAC N\n");
		return 2;
	}
	uint8_t dst[6], src[6] = {0x02, 0x00, 0x00, 0xbe, 0x4c, 0x01};
	if (sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2], &dst[3],
		   &dst[4], &dst[5]) != 6) {
		fprintf(stderr, "tapsend: bad MAC %s\n", argv[3]);
		return 2;
	}
	unsigned long n = strtoul(argv[4], NULL, 10);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("tapsend: creating the tap");
		return 1;
	}
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq up = {0};
	snprintf(up.ifr_name, sizeof(up.ifr_name), "%s", argv[1]);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &up) < 0 || (up.ifr_flags |= IFF_UP, 0) ||
	    ioctl(s, SIOCSIFFLAGS, &up) < 0) {
		perror("tapsend: bringing the tap up");
		return 1;
	}
	if (strcmp(argv[2], "-") != 0) {
		struct ifreq br = {0};
		snprintf(br.ifr_name, sizeof(br.ifr_name), "%s", argv[2]);
		br.ifr_ifindex = (int)if_nametoindex(argv[1]);
		if (ioctl(s, SIOCBRADDIF, &br) < 0) {
			perror("tapsend: adding the tap to the bridge");
			return 1;
		}
	}
	/* The same frames as netsend.elf, one write each, as the VMM does. */
	static uint8_t frames[64][NETSEND_FRAME_LEN];
	uint64_t start = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		uint8_t *f = frames[i % 64];
		netsend_frame(f, dst, src, (uint32_t)i);
		if (write(fd, f, NETSEND_FRAME_LEN) != NETSEND_FRAME_LEN) {
			perror("tapsend: write");
			return 1;
		}
	}
	uint64_t ns = now_ns() - start;
	printf("tapsend: %lu frames in %llu ns (%llu frames/s)\n", n, (unsigned long long)ns,
	       ns ? (unsigned long long)n * 1000000000ULL / ns : 0);
	return 0;
}
