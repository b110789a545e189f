/* Unit tests of MAC parsing and generation, the frame checks (runner/common/netframe.c), --net specs and CIDRs (runner/net/net.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "netframe.h"
#include "passt.h"
#include "tap.h"

static void mac_parse_accepts_and_refuses(void **state)
{
	uint8_t mac[6];
	const char *why = NULL;
	static const uint8_t want[6] = {0x02, 0xab, 0xCD, 0x00, 0x01, 0xff};
	assert_int_equal(netframe_mac_parse("02:ab:CD:00:01:ff", mac, &why), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(netframe_mac_parse("02-ab-cd-00-01-ff", mac, &why), 0);
	assert_memory_equal(mac, want, 6);
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"", "want six hex pairs"},
	    {"02:00:00:00:00", "want six hex pairs"},
	    {"02:00:00:00:00:001", "want six hex pairs"},
	    {"02:00:00:00:00:0g", "want six hex pairs"},
	    {"02:00:00:00:00:0", "want six hex pairs"},
	    {"02.00.00.00.00.01", "want six hex pairs"},
	    {"01:00:5e:00:00:01", "multicast or broadcast"},
	    {"ff:ff:ff:ff:ff:ff", "multicast or broadcast"},
	    {"00:00:00:00:00:00", "all-zero"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(netframe_mac_parse(bad[i].text, mac, &why), -1);
		assert_non_null(why);
		assert_non_null(strstr(why, bad[i].why));
	}
	assert_int_equal(netframe_mac_parse(NULL, mac, NULL), -1);
}

static void mac_format_round_trips(void **state)
{
	uint8_t mac[6] = {0x02, 0x00, 0x0a, 0xbc, 0xde, 0xf0}, back[6];
	char text[NETFRAME_MAC_TEXT];
	netframe_mac_format(mac, text);
	assert_string_equal(text, "02:00:0a:bc:de:f0");
	assert_int_equal(netframe_mac_parse(text, back, NULL), 0);
	assert_memory_equal(mac, back, 6);
}

static void generated_macs_are_local_unicast(void **state)
{
	for (unsigned seed = 0; seed < 512; seed++) {
		uint8_t random[6], mac[6];
		for (int i = 0; i < 6; i++)
			random[i] = (uint8_t)(seed * 37 + (unsigned)i * 101);
		random[0] = (uint8_t)seed; /* every first-byte pattern */
		netframe_mac_generate(random, mac);
		assert_int_equal(mac[0] & 1, 0); /* unicast */
		assert_int_equal(mac[0] & 2, 2); /* locally administered */
		assert_memory_equal(mac + 1, random + 1, 5);
		char text[NETFRAME_MAC_TEXT];
		netframe_mac_format(mac, text);
		assert_int_equal(netframe_mac_parse(text, mac, NULL), 0);
	}
}

static void send_checks(void **state)
{
	static const uint8_t mine[6] = {0x02, 0, 0, 0, 0, 1};
	uint8_t frame[LOCKVM_NET_FRAME_MAX + 1] = {0};
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mine, 6);
	assert_int_equal(netframe_check_send(frame, 60, mine), NETFRAME_OK);
	assert_int_equal(netframe_check_send(frame, LOCKVM_NET_FRAME_MIN, mine), NETFRAME_OK);
	assert_int_equal(netframe_check_send(frame, LOCKVM_NET_FRAME_MAX, mine), NETFRAME_OK);
	assert_int_equal(netframe_check_send(frame, LOCKVM_NET_FRAME_MIN - 1, mine),
			 NETFRAME_TOO_SHORT);
	assert_int_equal(netframe_check_send(frame, 0, mine), NETFRAME_TOO_SHORT);
	assert_int_equal(netframe_check_send(frame, LOCKVM_NET_FRAME_MAX + 1, mine),
			 NETFRAME_TOO_LONG);
	/* Any other source, a neighbour's, broadcast or a one-bit change, is forged. */
	for (int byte = 0; byte < 6; byte++) {
		frame[6 + byte] ^= 0x40;
		assert_int_equal(netframe_check_send(frame, 60, mine), NETFRAME_FORGED);
		frame[6 + byte] ^= 0x40;
	}
	memset(frame + 6, 0xff, 6);
	assert_int_equal(netframe_check_send(frame, 60, mine), NETFRAME_FORGED);
}

static void receive_filter(void **state)
{
	static const uint8_t mine[6] = {0x02, 0, 0, 0, 0, 1};
	uint8_t frame[LOCKVM_NET_FRAME_MAX + 1] = {0};
	memcpy(frame, mine, 6);
	assert_true(netframe_wanted(frame, 60, mine));
	memset(frame, 0xff, 6); /* broadcast */
	assert_true(netframe_wanted(frame, 42, mine));
	static const uint8_t multicast[6] = {0x33, 0x33, 0, 0, 0, 1};
	memcpy(frame, multicast, 6);
	assert_true(netframe_wanted(frame, 60, mine));
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 2}; /* another VM's unicast */
	memcpy(frame, other, 6);
	assert_false(netframe_wanted(frame, 60, mine));
	memcpy(frame, mine, 6);
	assert_false(netframe_wanted(frame, LOCKVM_NET_FRAME_MAX + 1, mine));
	assert_false(netframe_wanted(frame, LOCKVM_NET_FRAME_MIN - 1, mine));
}

static void cidr_and_names(void **state)
{
	uint32_t net, prefix;
	assert_int_equal(net_parse_cidr("10.91.0.0/24", &net, &prefix), 0);
	assert_int_equal(net, 0x0a5b0000);
	assert_int_equal(prefix, 24);
	assert_int_equal(net_parse_cidr("192.168.7.9/16", &net, &prefix), 0);
	assert_int_equal(net, 0xc0a80000); /* host bits cleared */
	assert_int_equal(net_parse_cidr("10.0.0.0/31", &net, &prefix), -1);
	assert_int_equal(net_parse_cidr("10.0.0.0/0", &net, &prefix), -1);
	assert_int_equal(net_parse_cidr("10.0.0.0", &net, &prefix), -1);
	assert_int_equal(net_parse_cidr("10.0.0/24", &net, &prefix), -1);
	assert_int_equal(net_parse_cidr("10.0.0.256/24", &net, &prefix), -1);
	assert_true(netframe_ifname_valid("lv-web", NULL));
	assert_false(netframe_ifname_valid("", NULL));
	assert_false(netframe_ifname_valid("a23456789012345x", NULL));
	assert_false(netframe_ifname_valid("a/b", NULL));
	assert_false(netframe_ifname_valid("a b", NULL));
	assert_false(netframe_ifname_valid("a:b", NULL));
	assert_false(netframe_ifname_valid("..", NULL));
	char tap[TAP_IFNAME_MAX + 1];
	net_tap_name("web", "0123abcd-0000", tap);
	assert_string_equal(tap, "lv-web");
	net_tap_name("a-much-longer-vm-name", "0123abcd-0000", tap);
	assert_string_equal(tap, "lv-0123abcd");
	assert_true(net_ovs_db_valid("unix:/run/openvswitch/db.sock"));
	assert_false(net_ovs_db_valid("tcp:127.0.0.1:6640"));
	assert_false(net_ovs_db_valid("unix:relative"));
	assert_false(net_ovs_db_valid("unix:/a b"));
}

static void net_specs(void **state)
{
	struct net_spec spec;
	char err[512];
	unsetenv("LOCKVM_OVS_DB");
	assert_int_equal(net_spec_parse("none", &spec, err, sizeof(err)), 0);
	assert_int_equal(spec.kind, NET_NONE);
	assert_int_equal(net_spec_parse("bridge=br0", &spec, err, sizeof(err)), 0);
	assert_int_equal(spec.kind, NET_BRIDGE);
	assert_string_equal(spec.bridge, "br0");
	assert_int_equal(net_spec_parse("ovs=ovsbr", &spec, err, sizeof(err)), 0);
	assert_int_equal(spec.kind, NET_OVS);
	assert_string_equal(spec.ovs_db, NET_OVS_DB_DEFAULT);
	setenv("LOCKVM_OVS_DB", "tcp:1.2.3.4:6640", 1);
	assert_int_equal(net_spec_parse("ovs=ovsbr", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "want unix:/PATH"));
	unsetenv("LOCKVM_OVS_DB");
	assert_int_equal(net_spec_parse("bridge=", &spec, err, sizeof(err)), -1);
	assert_int_equal(net_spec_parse("bridge", &spec, err, sizeof(err)), -1);
	assert_int_equal(net_spec_parse("wifi=x", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "want none, user, bridge=NAME"));
	assert_int_equal(net_spec_parse("network=../x", &spec, err, sizeof(err)), -1);
}

/* netns=PATH: a network namespace other than our own, by absolute path. */
static void netns_specs(void **state)
{
	struct net_spec spec;
	char err[512] = "";
	assert_int_equal(net_spec_parse("netns=/proc/self/ns/net", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the host's own network namespace"));
	assert_int_equal(net_spec_parse("netns=/proc/self/ns/pid", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a network namespace"));
	assert_int_equal(net_spec_parse("netns=/etc/hostname", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a network namespace"));
	assert_int_equal(net_spec_parse("netns=proc/self/ns/net", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "want an absolute path"));
	assert_int_equal(net_spec_parse("netns=/nonexistent/ns", &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	char longer[400] = "netns=/";
	memset(longer + 7, 'a', 300);
	assert_int_equal(net_spec_parse(longer, &spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most 255 bytes"));
	assert_string_equal(net_kind_name(NET_NETNS), "netns");
}

/* --net user and --publish HOSTPORT:GUESTPORT[/tcp|udp]: ports 1-65535 in
 * decimal, tcp by default, every other form one line naming the rule. */
static void user_specs_and_publish(void **state)
{
	struct net_spec spec;
	char err[512];
	assert_int_equal(net_spec_parse("user", &spec, err, sizeof(err)), 0);
	assert_int_equal(spec.kind, NET_USER);
	assert_string_equal(net_kind_name(NET_USER), "user");
	assert_int_equal(net_spec_parse("user=x", &spec, err, sizeof(err)), -1);
	struct passt_publish p;
	assert_int_equal(passt_publish_parse("8080:80", &p, err, sizeof(err)), 0);
	assert_int_equal(p.host_port, 8080);
	assert_int_equal(p.guest_port, 80);
	assert_false(p.udp);
	assert_int_equal(passt_publish_parse("65535:1/udp", &p, err, sizeof(err)), 0);
	assert_int_equal(p.host_port, 65535);
	assert_int_equal(p.guest_port, 1);
	assert_true(p.udp);
	assert_int_equal(passt_publish_parse("53:53/tcp", &p, err, sizeof(err)), 0);
	assert_false(p.udp);
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"8080", "want HOSTPORT:GUESTPORT"},
	    {"", "want HOSTPORT:GUESTPORT"},
	    {"80/tcp:80", "want HOSTPORT:GUESTPORT"},
	    {":80", "1 to 65535"},
	    {"80:", "1 to 65535"},
	    {"0:80", "1 to 65535"},
	    {"80:65536", "1 to 65535"},
	    {"080080:80", "1 to 65535"},
	    {"-1:80", "1 to 65535"},
	    {"+80:80", "1 to 65535"},
	    {"80:80:80", "1 to 65535"},
	    {"8o:80", "1 to 65535"},
	    {"80:80/", "tcp or udp"},
	    {"80:80/sctp", "tcp or udp"},
	    {"80:80/TCP", "tcp or udp"},
	    {"80:80/udp/tcp", "tcp or udp"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(passt_publish_parse(bad[i].text, &p, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why) || strchr(err, '\n'))
			fail_msg("'%s': %s", bad[i].text, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mac_parse_accepts_and_refuses),
	    cmocka_unit_test(mac_format_round_trips),
	    cmocka_unit_test(generated_macs_are_local_unicast),
	    cmocka_unit_test(send_checks),
	    cmocka_unit_test(receive_filter),
	    cmocka_unit_test(cidr_and_names),
	    cmocka_unit_test(net_specs),
	    cmocka_unit_test(netns_specs),
	    cmocka_unit_test(user_specs_and_publish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
