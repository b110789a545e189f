/* `lockvm stats`: CPU, memory and NIC figures of running VMs as the kernel and the supervisor count them, as a table, JSON or Prometheus text. */
#include "cli_stats.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "control.h"
#include "nic.h"
#include "observe.h"
#include "paths.h"
#include "registry.h"
#include "util.h"

/* How long CPU use is measured over for the percentage. */
#define STATS_SAMPLE_NS 1000000000ULL

struct vm_sample {
	char name[PATHS_NAME_MAX + 1];
	uint64_t cpu_ticks; /* utime + stime of the VMM */
	double cpu_percent;
	struct vm_observation obs;
	/* Counted by the VMM (CONTROL_STATS): totals, and per second over
	 * the sample by the VMM's clock; have_counters false when it did not
	 * answer (busy with a save, or ending). */
	bool have_counters, linux_abi;
	uint64_t exits, hypercalls, clock_ns;
	double exits_rate, hypercalls_rate;
	uint64_t disk[CONTROL_DISK_COUNTERS]; /* totals of all its disks */
};

/* The VMM's counters now; rates against the previous reading if any. */
static void read_counters(struct vm_sample *s)
{
	struct control_msg reply;
	bool before = s->have_counters;
	s->have_counters = control_stats(s->name, &reply) == 0;
	if (!s->have_counters)
		return;
	uint64_t exits = reply.exits, calls = reply.hypercalls, clock = reply.clock_ns;
	memcpy(s->disk, reply.disk, sizeof(s->disk));
	if (before && clock > s->clock_ns) {
		double secs = (double)(clock - s->clock_ns) / 1e9;
		s->exits_rate = exits >= s->exits ? (double)(exits - s->exits) / secs : 0;
		s->hypercalls_rate =
		    calls >= s->hypercalls ? (double)(calls - s->hypercalls) / secs : 0;
	}
	s->exits = exits;
	s->hypercalls = calls;
	s->clock_ns = clock;
}

/* utime + stime of pid from /proc/PID/stat, in clock ticks; 0 when gone. */
static uint64_t cpu_ticks(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the comm, which may hold spaces: from the last ')'. */
	const char *p = strrchr(buf, ')');
	unsigned long long utime = 0, stime = 0;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
			 &stime) != 2)
		return 0;
	return utime + stime;
}

/* The live VMs (or only `only`), observed, with CPU % over one interval. */
static size_t sample(const char *only, struct vm_sample **out)
{
	char **names, err[PATH_MAX + 256];
	size_t n, count = 0;
	if (registry_names(&names, &n) < 0)
		die_errno("reading the registry under %s", paths_root());
	struct vm_sample *s = calloc(n ? n : 1, sizeof(*s));
	struct reg_vm *vms = calloc(n ? n : 1, sizeof(*vms));
	if (!s || !vms)
		die("stats: out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((only && strcmp(names[i], only) != 0) || registry_live(names[i]) != 1 ||
		    registry_load(names[i], &vms[count], err, sizeof(err)) < 0 ||
		    vms[count].vmm_pid <= 0)
			continue;
		snprintf(s[count].name, sizeof(s[count].name), "%s", names[i]);
		s[count].cpu_ticks = cpu_ticks(vms[count].vmm_pid);
		s[count].linux_abi = vms[count].linux_abi;
		read_counters(&s[count]);
		count++;
	}
	registry_names_free(names, n);
	if (only && count == 0)
		die("stats: no running VM named '%s'", only);
	/* (tv_nsec must stay below a second: {0, 1e9} is EINVAL, no wait at all.) */
	struct timespec ts = {(time_t)(STATS_SAMPLE_NS / 1000000000ULL),
			      (long)(STATS_SAMPLE_NS % 1000000000ULL)};
	nanosleep(&ts, NULL);
	long hz = sysconf(_SC_CLK_TCK);
	for (size_t i = 0; i < count; i++) {
		uint64_t now = cpu_ticks(vms[i].vmm_pid);
		s[i].cpu_percent =
		    now >= s[i].cpu_ticks ? 100.0 * (double)(now - s[i].cpu_ticks) / (double)hz : 0;
		s[i].cpu_ticks = now;
		/* Rates need two readings: one missed makes this sample's null. */
		bool first = s[i].have_counters;
		read_counters(&s[i]);
		s[i].have_counters &= first;
		vm_observe(&vms[i], &s[i].obs);
	}
	free(vms);
	*out = s;
	return count;
}

static uint64_t cgroup_number(const struct vm_sample *s, const char *file)
{
	return strtoull(observe_cgfile(&s->obs, file), NULL, 10);
}

/* The names of the disk counters, in JSON and Prometheus. */
static const char *const disk_counter_names[CONTROL_DISK_COUNTERS] = {
    [CONTROL_DISK_READS] = "reads",
    [CONTROL_DISK_WRITES] = "writes",
    [CONTROL_DISK_READ_BYTES] = "read_bytes",
    [CONTROL_DISK_WRITTEN_BYTES] = "written_bytes",
};

static json_object *sample_json(const struct vm_sample *s, long hz)
{
	char pct[32];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "cpu_seconds",
			       json_object_new_double((double)s->cpu_ticks / (double)hz));
	snprintf(pct, sizeof(pct), "%.1f", s->cpu_percent);
	json_object_object_add(o, "cpu_percent", json_object_new_double_s(s->cpu_percent, pct));
	json_object_object_add(o, "rss_bytes", json_object_new_uint64(s->obs.memory.rss_bytes));
	json_object_object_add(o, "peak_rss_bytes",
			       json_object_new_uint64(s->obs.memory.peak_rss_bytes));
	json_object_object_add(o, "memory_usage_bytes",
			       json_object_new_uint64(cgroup_number(s, "memory.usage_in_bytes")));
	json_object_object_add(o, "memory_limit_bytes",
			       json_object_new_uint64(cgroup_number(s, "memory.limit_in_bytes")));
	/* Under --linux every system call is served as one hypercall. */
	bool c = s->have_counters;
	char rate[32];
	json_object_object_add(o, "exits", c ? json_object_new_uint64(s->exits) : NULL);
	json_object_object_add(o, "hypercalls", c ? json_object_new_uint64(s->hypercalls) : NULL);
	json_object_object_add(o, "syscalls",
			       c && s->linux_abi ? json_object_new_uint64(s->hypercalls) : NULL);
	snprintf(rate, sizeof(rate), "%.1f", s->exits_rate);
	json_object_object_add(o, "exits_per_s",
			       c ? json_object_new_double_s(s->exits_rate, rate) : NULL);
	snprintf(rate, sizeof(rate), "%.1f", s->hypercalls_rate);
	json_object_object_add(o, "hypercalls_per_s",
			       c ? json_object_new_double_s(s->hypercalls_rate, rate) : NULL);
	json_object_object_add(
	    o, "syscalls_per_s",
	    c && s->linux_abi ? json_object_new_double_s(s->hypercalls_rate, rate) : NULL);
	json_object *nic = json_object_new_object();
	for (size_t i = 0; s->obs.have_nic_stats && i < NIC_COUNTERS; i++)
		json_object_object_add(nic, nic_stats_names[i],
				       json_object_new_uint64(s->obs.nic.counter[i]));
	json_object_object_add(o, "nic", nic);
	json_object *disk = NULL;
	if (c) {
		disk = json_object_new_object();
		for (size_t i = 0; i < CONTROL_DISK_COUNTERS; i++)
			json_object_object_add(disk, disk_counter_names[i],
					       json_object_new_uint64(s->disk[i]));
	}
	json_object_object_add(o, "disk", disk);
	return o;
}

/* The Prometheus text format, for the node exporter's textfile collector. */
static void print_prometheus(const struct vm_sample *s, size_t n, long hz)
{
	static const struct {
		const char *metric, *type, *help;
	} metrics[] = {
	    {"lockvm_vm_cpu_seconds_total", "counter", "CPU time of the VM's VMM process"},
	    {"lockvm_vm_memory_rss_bytes", "gauge", "resident memory of the VM's VMM process"},
	    {"lockvm_vm_memory_usage_bytes", "gauge", "the VM's cgroup memory usage"},
	};
	for (size_t m = 0; m < ARRAY_SIZE(metrics); m++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", metrics[m].metric, metrics[m].help,
		       metrics[m].metric, metrics[m].type);
		for (size_t i = 0; i < n; i++) {
			printf("%s{name=\"%s\"} ", metrics[m].metric, s[i].name);
			if (m == 0)
				printf("%.2f\n", (double)s[i].cpu_ticks / (double)hz);
			else
				printf("%" PRIu64 "\n",
				       m == 1 ? s[i].obs.memory.rss_bytes
					      : cgroup_number(&s[i], "memory.usage_in_bytes"));
		}
	}
	/* Counters, not rates: rates are the scraper's job (rate()). */
	static const struct {
		const char *metric, *help;
		bool linux_only;
	} counters[] = {
	    {"lockvm_vm_exits_total", "VM exits of all the VM's vCPUs, counted by its VMM", false},
	    {"lockvm_vm_hypercalls_total", "hypercalls served by the VM's VMM", false},
	    {"lockvm_vm_syscalls_total", "system calls of a --linux VM's program served by its VMM",
	     true},
	};
	for (size_t m = 0; m < ARRAY_SIZE(counters); m++) {
		printf("# HELP %s %s\n# TYPE %s counter\n", counters[m].metric, counters[m].help,
		       counters[m].metric);
		for (size_t i = 0; i < n; i++)
			if (s[i].have_counters && (!counters[m].linux_only || s[i].linux_abi))
				printf("%s{name=\"%s\"} %" PRIu64 "\n", counters[m].metric,
				       s[i].name, m == 0 ? s[i].exits : s[i].hypercalls);
	}
	printf(
	    "# HELP lockvm_vm_disk_total the VM's disk requests and bytes, all disks, by counter\n"
	    "# TYPE lockvm_vm_disk_total counter\n");
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; s[i].have_counters && c < CONTROL_DISK_COUNTERS; c++)
			printf("lockvm_vm_disk_total{name=\"%s\",counter=\"%s\"} %" PRIu64 "\n",
			       s[i].name, disk_counter_names[c], s[i].disk[c]);
	printf("# HELP lockvm_vm_nic_total the VM's NIC counters, by counter\n"
	       "# TYPE lockvm_vm_nic_total counter\n");
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; s[i].obs.have_nic_stats && c < NIC_COUNTERS; c++)
			printf("lockvm_vm_nic_total{name=\"%s\",counter=\"%s\"} %" PRIu64 "\n",
			       s[i].name, nic_stats_names[c], s[i].obs.nic.counter[c]);
}

static void print_table(const struct vm_sample *s, size_t n, long hz)
{
	printf("%-20s %7s %10s %10s %10s %10s %9s %9s\n", "NAME", "CPU %", "CPU s", "RSS",
	       "MEM USE", "MEM LIMIT", "EXITS/s", "HCALLS/s");
	for (size_t i = 0; i < n; i++) {
		char exits[24] = "-", calls[24] = "-";
		if (s[i].have_counters) {
			snprintf(exits, sizeof(exits), "%.0f", s[i].exits_rate);
			snprintf(calls, sizeof(calls), "%.0f", s[i].hypercalls_rate);
		}
		printf("%-20s %7.1f %10.2f %9" PRIu64 "M %9" PRIu64 "M %9" PRIu64 "M %9s %9s\n",
		       s[i].name, s[i].cpu_percent, (double)s[i].cpu_ticks / (double)hz,
		       s[i].obs.memory.rss_bytes >> 20,
		       cgroup_number(&s[i], "memory.usage_in_bytes") >> 20,
		       cgroup_number(&s[i], "memory.limit_in_bytes") >> 20, exits, calls);
	}
}

int cmd_stats(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "a JSON array per sample (fields in README)"},
	    {"no-stream", 'n', no_argument, 0, NULL, "one sample, then exit"},
	    {"prometheus", 'p', no_argument, 0, NULL,
	     "one sample in the Prometheus text format (node exporter textfile collector)"},
	};
	static const struct cliopt_spec spec = {
	    .command = "stats",
	    .operands = "[NAME]",
	    .summary =
		"CPU time and %, memory, exits and hypercalls per second, disk and NIC counters of "
		"running VMs, every second",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .max_operands = 1};
	struct cliopt_parser p;
	bool json = false, stream = true, prometheus = false;
	int key, count;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		json |= key == 'j';
		stream &= key != 'n' && key != 'p';
		prometheus |= key == 'p';
	}
	char **operands = cliopt_operands(&p, &count);
	const char *only = count ? operands[0] : NULL;
	if (prometheus && json)
		cliopt_usage_die(&spec, "--json and --prometheus exclude each other");
	long hz = sysconf(_SC_CLK_TCK);
	for (;;) {
		struct vm_sample *s;
		size_t n = sample(only, &s);
		if (prometheus) {
			print_prometheus(s, n, hz);
		} else if (json) {
			json_object *array = json_object_new_array();
			for (size_t i = 0; i < n; i++)
				json_object_array_add(array, sample_json(&s[i], hz));
			printf("%s\n",
			       json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN));
			json_object_put(array);
		} else {
			print_table(s, n, hz);
		}
		fflush(stdout);
		for (size_t i = 0; i < n; i++)
			vm_observation_free(&s[i].obs);
		free(s);
		if (!stream)
			return 0;
	}
}
