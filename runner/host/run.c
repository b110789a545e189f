/* `lockvm run`, `restore` and `incoming`: the life of one VM's supervisor, phase by phase. */
#include "run.h"
#include "run_internal.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exits.h"
#include "kvm.h"
#include "mac.h"
#include "migrate_addr.h"
#include "paths.h"
#include "sandbox.h"

enum run_command { RUN_COMMAND_RUN, RUN_COMMAND_RESTORE, RUN_COMMAND_INCOMING };

static int run_mode(int argc, char **argv, enum run_command command);

int run_main(int argc, char **argv)
{
	return run_mode(argc, argv, RUN_COMMAND_RUN);
}

/* `lockvm restore FILE [OPTIONS]`. */
int restore_main(int argc, char **argv)
{
	return run_mode(argc, argv, RUN_COMMAND_RESTORE);
}

void run_options_check(int argc, char **argv)
{
	struct run_options o = {0};
	run_parse_options(argc, argv, &o);
}

/* `lockvm incoming --listen ADDR [OPTIONS]`. */
int incoming_main(int argc, char **argv)
{
	return run_mode(argc, argv, RUN_COMMAND_INCOMING);
}

/*
 * The life of one run: options checked (run_options.c); every file the VMM
 * needs opened while privileged (run_resources.c); the VM's uid, identity,
 * log, profile, tap and cgroup taken and the VMM spawned (run_launch.c:
 * start_vmm); its end waited for (run_supervise.c); everything given back
 * in reverse (release_resources), also when any step dies.
 */
static int run_mode(int argc, char **argv, enum run_command command)
{
	struct run_options o = {.incoming_mode = command == RUN_COMMAND_INCOMING,
				.restore_mode = command == RUN_COMMAND_RESTORE};
	static struct run_state st;
	char err[PATH_MAX + 256], why[256];
	uint64_t origin = now_ns();
	const char *timing = getenv("LOCKVM_DEBUG_TIMING");
	if (timing && *timing && strcmp(timing, "0") != 0) {
		if (strcmp(timing, "1") != 0)
			die("LOCKVM_DEBUG_TIMING='%s': want 1 (print each phase's time) or 0",
			    timing);
		run_timing_start(origin);
	}
	run_parse_options(argc, argv, &o);
	uint64_t started_ns = now_ns();
	st = (struct run_state){.lifeline = -1,
				.upper_dir_fd = -1,
				.tap_fd = -1,
				.passt = {.pid = -1, .vmm_end = -1},
				.registry_fd = -1,
				.log.fd = -1,
				.ready_fd = -1,
				.out_pipe = {-1, -1},
				.err_pipe = {-1, -1},
				.ready_pipe = {-1, -1},
				.control_pair = {-1, -1}};
	control_relay_init(&st.relay, -1, -1, NULL);
	st.started_ns = started_ns;
	check_memory_options(&o);
	release_at_exit_arm(&o, &st);
	if (o.require_mac && !mac_enforcing())
		die("--require-mac: neither SELinux nor AppArmor is enforcing on this host "
		    "(active MAC: %s)",
		    mac_active());
	if (config_load(&st.config, err, sizeof(err)) < 0)
		die("%s", err);
	if (paths_mkdir(PATHS_VMS_DIR) < 0)
		die_errno("creating %s/%s", paths_root(), PATHS_VMS_DIR);
	if (o.label_kind == LABEL_STATIC && label_static_check(o.label, err, sizeof(err)) < 0)
		die("%s", err);
	random_uuid(st.vm.uuid);
	/* The uid lease (its NSS check is the slowest step before the spawn)
	 * is taken beside the opening below. Not before --detach's fork, which
	 * keeps only the calling thread, nor while --listen waits for a stream:
	 * start_vmm starts it then. */
	if (o.confine && !(sandbox_layers_unavailable() & SANDBOX_UID) && !o.detach && !o.listen)
		reserve_uid_start(&st);

	/* Everything is opened here, while privileged; the VMM gets fds only. */
	run_timing_phase("open files");
	int kvm_fd = kvm_open_device(err, sizeof(err));
	if (kvm_fd < 0)
		die("%s", err);
	if (kvm_check(kvm_fd, o.vcpus, err, sizeof(err)) < 0)
		die("%s", err);
	int guest_fd = -1, listen_fd = -1;
	open_volumes(&o); /* before PROGRAM: it may be in one */
	if (o.listen) {
		listen_fd = migrate_addr_listen(o.listen, err, sizeof(err));
		if (listen_fd < 0)
			die("incoming --listen %s: %s", o.listen, err);
		if (strncmp(o.listen, "unix:", 5) == 0)
			st.listen_path = o.listen + 5;
	} else if (o.fs_dir) {
		find_guest_in_tree(&o); /* the VMM opens it, in the tree */
	} else {
		guest_fd = open_guest(o.guest);
	}
	char restore_note[PATH_MAX + 256] = "";
	if (o.restore)
		restore_apply_record(&o, guest_fd, restore_note, sizeof(restore_note));
	if (o.key && (o.key_fd = open(o.key, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		die_errno("--key %s", o.key);
	open_disks(&o);
	if (o.fs_dir)
		o.fs_fd = open_fs_tree(o.fs_dir);
	open_upper_dir(&o, st.vm.uuid);
	open_record(&o);
	int vmm_fd = open_vmm_binary(o.confine);
	/* Before --detach: whether the caller's stderr is a terminal. */
	struct progress_line restoring;
	progress_line_init(&restoring, listen_fd >= 0 ? "incoming" : "restore", st.vm.name, o.json);
	if (o.detach)
		run_detach(&st);

	int sig_fd = supervise_signals();
	if (listen_fd >= 0) {
		/* The stream is read by the VMM only; the supervisor just
		 * accepts (a quiet source times out after 30 s). Nothing is
		 * claimed yet: giving up leaves only the socket to remove. */
		guest_fd = migrate_addr_accept(listen_fd, o.accept_timeout_s, 30, sig_fd, err,
					       sizeof(err));
		close(listen_fd);
		remove_listen_socket(&st);
		if (guest_fd < 0)
			die("incoming --listen %s: %s", o.listen, err);
	}
	restoring.start_ns = now_ns(); /* rates from the stream's start, not the accept's */
	pid_t vmm = start_vmm(&o, &st, vmm_fd, kvm_fd, guest_fd);
	close(st.control_pair[1]);
	if (o.key_fd >= 0)
		close(o.key_fd);
	control_relay_attach(&st.relay, st.control_pair[0]);
	close(kvm_fd);
	close(guest_fd);
	close(vmm_fd);
	if (o.fs_fd >= 0)
		close(o.fs_fd);
	for (unsigned i = 0; i < o.volume_count; i++)
		close(o.volumes[i].fd); /* the VMM's; dir_fd stays for return_volumes */
	if (o.upper_fd >= 0)
		close(o.upper_fd); /* the VMM's; upper_dir_fd stays for return_upper */
	st.vm.vmm_pid = (long)vmm;
	run_timing_phase("wait for ready");
	char r = wait_running(&st, o.restore || o.listen ? &restoring : NULL);
	/* Said once the stream was accepted, so a refusal stays one line. */
	if (r == 'R' && restore_note[0]) {
		fprintf(stderr, "lockvm: %s\n", restore_note);
		run_log_event(&st, "%s", restore_note);
	}
	if (r == 'R' && o.keep_upper) /* --detach: the path printed before is in the log too */
		run_log_event(&st, "the job's upper layer will be kept in %s", o.upper_dir);
	run_timing_phase("registry update");
	/* A new VM of this name: an older exit record no longer says how it ends. */
	(void)exits_remove(st.vm.name);
	snprintf(st.vm.state, sizeof(st.vm.state), "running");
	if (registry_save(&st.vm) < 0)
		warn_errno("registry: recording VMM pid");
	log_confinement(&o, &st);
	run_log_event(&st, "vmm pid %ld", st.vm.vmm_pid);
	run_event_started(&o, &st);
	run_detach_ready(&st);
	run_timing_phase("guest run (wait)");
	struct memstat stats = {0};
	int status = supervise(vmm, o.timeout_ns, &st, sig_fd, o.stats || o.json ? &stats : NULL,
			       o.mem_limit ? o.mem_limit
					   : cgroup_vm_memory_limit(o.mem) + memory_fs_bytes(&o),
			       why, sizeof(why));
	if (o.stats) {
		char line[256];
		memstat_format(&stats, line, sizeof(line));
		fprintf(stderr, "stats: %s\n", line);
	}
	run_timing_phase("teardown");
	control_relay_close(&st.relay, st.vm.name);
	run_log_event(&st, "exit: %d (%s)", status, why);
	const char *upper_state = upper_outcome(&o, &st);
	deliver_record(&o, &st);
	/* A detached VM has no caller to tell: its end is kept for wait, inspect, list -a. */
	if (o.detach && exits_record(st.vm.name, status, why, st.vm.upper, upper_state) < 0)
		warn_errno("exit record of %s", st.vm.name);
	run_event_ended(&st, status, why);
	if (o.json)
		run_result_print(&st, status, why, &stats);
	release_resources(&o, &st);
	for (unsigned i = 0; i < o.disk_count; i++)
		close(o.disks[i].fd);
	run_timing_report();
	return status;
}
