#!/usr/bin/python3
"""A minimal CRI v1 client for tests/integration/cri.sh, in place of crictl
(not in Debian 12): one call per invocation, as the kubelet makes them.

usage: cri.py SOCKET COMMAND ARGS...
  version                            runtime name and CRI version
  runp NAME HANDLER LOGDIR CONFIG [pod]
                                     RunPodSandbox of a host-network pod, or
                                     with "pod" one on the pod network (CNI);
                                     its config kept in CONFIG for create;
                                     prints the pod's id
  create POD CONFIG NAME IMAGE LOG CMD...
                                     CreateContainer; prints its id
  start ID                           StartContainer
  status ID                          ContainerStatus: "STATE EXIT_CODE REASON"
  wait ID STATE SECONDS              polls ContainerStatus (bounded) until
                                     STATE (CONTAINER_EXITED, ...); exit 1 if not
  exec ID SECONDS CMD...             ExecSync: prints its stdout, exits with its status
  stopp POD / rmp POD                StopPodSandbox / RemovePodSandbox

The modules cri_v1_pb2 and cri_v1_pb2_grpc (tests/cri/cri_v1.proto, compiled
by the test) must be on PYTHONPATH. A failed call prints one line, exit 2."""
import sys
import time

import grpc
from google.protobuf import json_format

import cri_v1_pb2 as api
import cri_v1_pb2_grpc as rpc


def pod_config(name, logdir, network):
    """A pod as the kubelet sends one: with hostNetwork: true the node's
    network (NODE: no CNI), else its own (POD: CNI's); the pod's own IPC,
    each container its own pids."""
    ns = api.NamespaceOption(network=network, pid=api.CONTAINER, ipc=api.POD)
    return api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name=name, uid=name + "-uid", namespace="default"),
        # the kubelet's: the pod's name, or none on the node's network
        hostname=name if network == api.POD else "",
        log_directory=logdir,
        labels={"app": name},
        linux=api.LinuxPodSandboxConfig(
            security_context=api.LinuxSandboxSecurityContext(namespace_options=ns)
        ),
    )


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    channel = grpc.insecure_channel("unix://" + argv[1])
    rt = rpc.RuntimeServiceStub(channel)
    cmd, a = argv[2], argv[3:]
    if cmd == "version":
        v = rt.Version(api.VersionRequest(version="v1"), timeout=30)
        print(v.runtime_name, v.runtime_api_version)
    elif cmd == "runp":
        name, handler, logdir, keep = a[:4]
        cfg = pod_config(name, logdir, api.POD if a[4:] == ["pod"] else api.NODE)
        with open(keep, "w") as f:
            f.write(json_format.MessageToJson(cfg))
        r = rt.RunPodSandbox(api.RunPodSandboxRequest(config=cfg, runtime_handler=handler), timeout=120)
        print(r.pod_sandbox_id)
    elif cmd == "create":
        pod, keep, name, image, log = a[:5]
        with open(keep) as f:
            sandbox = json_format.Parse(f.read(), api.PodSandboxConfig())
        ns = api.NamespaceOption(
            network=sandbox.linux.security_context.namespace_options.network,
            pid=api.CONTAINER,
            ipc=api.POD,
        )
        cfg = api.ContainerConfig(
            metadata=api.ContainerMetadata(name=name),
            image=api.ImageSpec(image=image),
            command=a[5:],
            log_path=log,
            linux=api.LinuxContainerConfig(
                security_context=api.LinuxContainerSecurityContext(namespace_options=ns)
            ),
        )
        r = rt.CreateContainer(
            api.CreateContainerRequest(pod_sandbox_id=pod, config=cfg, sandbox_config=sandbox),
            timeout=120,
        )
        print(r.container_id)
    elif cmd == "start":
        rt.StartContainer(api.StartContainerRequest(container_id=a[0]), timeout=120)
    elif cmd in ("status", "wait"):
        deadline = time.monotonic() + (float(a[2]) if cmd == "wait" else 0)
        while True:
            s = rt.ContainerStatus(api.ContainerStatusRequest(container_id=a[0]), timeout=30).status
            state = api.ContainerState.Name(s.state)
            if cmd == "status" or state == a[1] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        print(state, s.exit_code, s.reason or "-")
        return 0 if cmd == "status" or state == a[1] else 1
    elif cmd == "exec":
        r = rt.ExecSync(api.ExecSyncRequest(container_id=a[0], cmd=a[2:], timeout=int(a[1])), timeout=int(a[1]) + 30)
        sys.stdout.write(r.stdout.decode(errors="replace"))
        sys.stderr.write(r.stderr.decode(errors="replace"))
        return r.exit_code
    elif cmd == "stopp":
        rt.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=a[0]), timeout=120)
    elif cmd == "rmp":
        rt.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=a[0]), timeout=120)
    else:
        sys.exit(__doc__)
    return 0


try:
    sys.exit(main(sys.argv))
except grpc.RpcError as e:
    print("cri: %s: %s: %s" % (sys.argv[2], e.code().name, e.details()))
    sys.exit(2)
