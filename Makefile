# labvisor top-level Makefile.
#
#   make          module (against KDIR), lvctl, test guests
#   make check    unit tests, KUnit suites, lab suite; ends "N passed, N failed"
#   make demo     boots the lab and runs a guest that greets you
#   make bench    CPUID and user-space I/O round trips, labvisor vs kvm_intel
#
# KDIR defaults to the running kernel's build tree; on a machine without one
# (every machine here) it is the Debian kernel the lab boots, whose headers
# tests/lab/kdir installs with apt.

KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else tests/lab/kdir; fi)

.PHONY: all module lvctl guests check demo bench clean

all: module lvctl guests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lvctl:
	$(MAKE) -C userspace-ctl

guests:
	$(MAKE) -C tests/guests

check: all
	tests/check

demo: all
	tests/lab/demo

bench: all
	tests/lab/bench

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace-ctl clean
	$(MAKE) -C tests/guests clean
