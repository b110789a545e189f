# make man: the man pages, one scdoc(5) source each in docs/man/ (NAME.SECTION.scd).

MAN_SRCS   := $(wildcard docs/man/*.scd)
MAN_PAGES  := $(MAN_SRCS:docs/man/%.scd=$(BUILD)/man/%)
MAN1_PAGES := $(filter %.1,$(MAN_PAGES))
MAN5_PAGES := $(filter %.5,$(MAN_PAGES))
MAN8_PAGES := $(filter %.8,$(MAN_PAGES))
EXTRA_DEPS += scdoc man-db groff-base

.PHONY: man
man: $(MAN_PAGES)

$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	scdoc <$< >$@
