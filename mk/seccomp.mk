# Seccomp module: rebuild its tests and helper when the headers they include change
# (the top-level Makefile only tracks dependencies of runner/*/ objects).
-include $(wildcard $(OBJ)/tests/unit/test_seccomp_*.d $(OBJ)/tests/helpers/seccomp_tool.d)
