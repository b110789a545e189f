# lockvm-oci (runner/oci/): the runc-compatible front end. Host side only:
# its code sits in libhost.a with the rest of lockvm's host side.
all: $(BUILD)/lockvm-oci

$(BUILD)/lockvm-oci: $(OBJ)/runner/oci/oci_main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

-include $(OBJ)/runner/oci/oci_main.d

# tests/integration/oci.sh drives real engines (containerd brings runc).
EXTRA_DEPS += podman containerd
# tests/integration/cri.sh: its CRI client (gRPC, tests/cri/cri_v1.proto
# compiled at test time) and its pod network (CNI's bridge plugin).
EXTRA_DEPS += python3-grpcio python3-grpc-tools containernetworking-plugins
