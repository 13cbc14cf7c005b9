# crm - customer relationship management toolkit
# make [all|check|check-pg|bench|fuzz|reliability|demo|install|uninstall|clean]
#      [DEVELOPER=1] [SANITIZE=address,undefined] [PREFIX=...] [DESTDIR=...]

VERSION   = 0.1.0
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANPREFIX = $(PREFIX)/share/man
DATADIR   = $(PREFIX)/share/crm
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions

CC       ?= cc
CFLAGS   ?= -O2 -g
CPPFLAGS += -I/usr/include/postgresql -D_GNU_SOURCE -DCRM_VERSION='"$(VERSION)"' -Ilibcrm
LIBS      = -lsqlite3 -lpq -lcsv -lutf8proc -lm

WARN = -Wall -Wextra -Wno-unused-parameter
ifeq ($(DEVELOPER),1)
WARN += -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wvla -Wwrite-strings -Wold-style-definition \
	-Wdeclaration-after-statement -Wno-error=deprecated-declarations
endif
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = $(CFLAGS) $(WARN)

# make V=1 shows the commands
ifneq ($(V),1)
Q = @
QCC = @echo "  CC      $@";
QAR = @echo "  AR      $@";
endif

# Generated at build time from libphonenumber's metadata and iso-codes
# (README, "Phone numbers and countries"); not in git.
GEN_SRC  = libcrm/phone-data.c libcrm/country-data.c
# The options of every program, from the man pages (scripts/gen-help).
HELP_SRC = libcrm/help-data.c
LIB_SRC  = $(sort $(wildcard libcrm/*.c) $(GEN_SRC) $(HELP_SRC) libcrm/profiles-builtin.c)
PROFILES = $(sort $(wildcard profiles/*.profile))
LIB_OBJ  = $(LIB_SRC:.c=.o)
LIB_HDR  = $(wildcard libcrm/*.h)
PROGS    = crm $(sort $(patsubst cmd/%.c,%,$(wildcard cmd/crm-*.c)))
UNIT_SRC = $(sort $(wildcard tests/unit/t-*.c))
UNITS    = $(UNIT_SRC:.c=)
MAN1     = $(wildcard man/*.1)
MAN5     = $(wildcard man/*.5)
MAN7     = $(wildcard man/*.7)

# Objects are rebuilt when the compiler flags change (SANITIZE=, DEVELOPER=).
FLAGS_NOW := $(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS)

all: .deps-ok $(PROGS)

.deps-ok: scripts/deps
	./scripts/deps
	@touch $@

.build-flags: FORCE
	@echo '$(FLAGS_NOW)' | cmp -s - $@ || echo '$(FLAGS_NOW)' > $@

libcrm/%.o: libcrm/%.c $(LIB_HDR) .build-flags .deps-ok
	$(QCC)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Build tools, run on this machine: plain flags, no sanitizer.
scripts/gen-phone: scripts/gen-phone.cc .deps-ok
	$(QCC)$(CXX) -O1 -o $@ scripts/gen-phone.cc -lphonenumber -lprotobuf

libcrm/phone-data.c: scripts/gen-phone
	$(Q)./scripts/gen-phone data > $@.tmp && mv $@.tmp $@

tests/unit/phone-examples.h: scripts/gen-phone
	$(Q)./scripts/gen-phone examples > $@.tmp && mv $@.tmp $@

scripts/fold-countries: scripts/fold-countries.c libcrm/norm.c libcrm/buf.c libcrm/error.c libcrm/phone.c libcrm/phone-data.c $(LIB_HDR) .deps-ok
	$(QCC)$(CC) -O1 $(CPPFLAGS) -o $@ scripts/fold-countries.c libcrm/norm.c libcrm/buf.c libcrm/error.c libcrm/phone.c libcrm/phone-data.c -lutf8proc -lm

scripts/phone-parse: scripts/phone-parse.c libcrm.a $(LIB_HDR) .build-flags
	$(QCC)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< libcrm.a $(LIBS)

libcrm/country-data.c: scripts/gen-countries scripts/fold-countries
	$(Q)./scripts/gen-countries | ./scripts/fold-countries > $@.tmp && mv $@.tmp $@

# The import profiles are built into the programs (profile.h).
libcrm/profiles-builtin.c: $(PROFILES) scripts/embed-profiles
	$(Q)./scripts/embed-profiles $@ $(PROFILES)

# --help, crm(1) and completion: what the man pages say about each option.
libcrm/help-data.c: $(MAN1) scripts/gen-help .deps-ok
	$(Q)./scripts/gen-help c $@ $(MAN1)

libcrm.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(QAR)$(AR) rcs $@ $(LIB_OBJ)

crm-%: cmd/crm-%.c libcrm.a $(LIB_HDR) .build-flags
	$(QCC)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< libcrm.a $(LIBS)

crm: cmd/crm.c libcrm.a $(LIB_HDR) .build-flags
	$(QCC)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< libcrm.a $(LIBS)

tests/unit/t-phone: tests/unit/phone-examples.h

tests/unit/t-%: tests/unit/t-%.c tests/unit/tap.h libcrm.a $(LIB_HDR) .build-flags
	$(QCC)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< libcrm.a $(LIBS)

check: all $(UNITS)
	@chmod +x tests/t[0-9]*.sh
	prove -j2 --exec '' $(UNITS) tests/t[0-9]*.sh

# The test scripts that pass on PostgreSQL too, run again on a server of
# their own (scripts/pg-server; README, PostgreSQL).  make check runs
# tests/t0022-postgres.sh, which compares both engines, in any case.
PG_TESTS = \
	tests/t0002-export.sh \
	tests/t0005-segment.sh \
	tests/t0006-campaign.sh \
	tests/t0007-churn.sh \
	tests/t0010-report.sh \
	tests/t0017-report-reader.sh \
	tests/t0022-postgres.sh \
	tests/t0024-report-changes.sh \
	tests/t0025-sales.sh \
	tests/t0026-cust.sh \
	tests/t0027-report-sales.sh \
	tests/t0028-pg-analytics.sh \
	tests/t0029-pg-operations.sh

check-pg: all
	@dir=$$(./scripts/pg-server start) || exit 1; \
	CRM_TEST_PGHOST=$$dir prove --exec '' $(PG_TESTS); rc=$$?; \
	./scripts/pg-server stop "$$dir"; exit $$rc

# Every benchmark, each printing its ratios against its peer.
bench: all scripts/phone-parse
	./scripts/bench
	@for b in scripts/bench-*; do \
		if [ -x "$$b" ]; then echo "== $$b"; ./$$b || exit 1; fi; \
	done

fuzz: $(GEN_SRC)
	./scripts/fuzz

# Longer than make check's short rounds, bounded to about seven minutes:
# imports and scorings killed at random moments, outputs naming the
# database, cron jobs piled up, crm-forget racing crm-log, and each fuzz
# target for FUZZ_SECONDS (20 here).  .ci/run calls it.
reliability: all
	./scripts/crash-test -n 30 -o 48 -t 150
	./scripts/concurrency-test -r 10 -R 10 -t 120
	FUZZ_SECONDS=$${FUZZ_SECONDS:-20} ./scripts/fuzz

demo: all
	./scripts/demo

lint: all
	@for m in $(MAN1) $(MAN5) $(MAN7); do mandoc -Tlint -Wwarning $$m || exit 1; done
	@v=$$(sed -n 's/^#define CRM_DB_SCHEMA //p' libcrm/db.h); \
	grep -q "version of its schema, now $$v\." man/crm.7 || \
	{ echo "man/crm.7: the schema version is not $$v (libcrm/db.h)" >&2; exit 1; }
	@./scripts/gen-help lint $(MAN1)
	@./scripts/check-arch

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7 $(DESTDIR)$(DATADIR)/profiles
	cp -f $(PROGS) $(DESTDIR)$(BINDIR)/
	cd $(DESTDIR)$(BINDIR) && chmod 755 $(PROGS)
	cp -f $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/
	cp -f $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/
	cp -f $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/
	cp -f $(PROFILES) $(DESTDIR)$(DATADIR)/profiles/
	mkdir -p $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	cp -f completion/crm.bash $(DESTDIR)$(BASHCOMPDIR)/crm
	cd $(DESTDIR)$(BASHCOMPDIR) && for p in $(filter crm-%,$(PROGS)); do ln -sf crm $$p; done
	cp -f completion/_crm $(DESTDIR)$(ZSHCOMPDIR)/_crm

uninstall:
	cd $(DESTDIR)$(BINDIR) && rm -f $(PROGS)
	cd $(DESTDIR)$(MANPREFIX)/man1 && rm -f $(notdir $(MAN1))
	cd $(DESTDIR)$(MANPREFIX)/man5 && rm -f $(notdir $(MAN5))
	cd $(DESTDIR)$(MANPREFIX)/man7 && rm -f $(notdir $(MAN7))
	cd $(DESTDIR)$(DATADIR)/profiles && rm -f $(notdir $(PROFILES))
	cd $(DESTDIR)$(BASHCOMPDIR) && rm -f crm $(filter crm-%,$(PROGS))
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_crm

clean:
	rm -f $(PROGS) $(UNITS) libcrm.a libcrm/*.o .build-flags $(GEN_SRC) \
		scripts/gen-phone scripts/fold-countries scripts/phone-parse \
		tests/unit/phone-examples.h libcrm/profiles-builtin.c $(HELP_SRC)
	rm -rf tests/trash.* bench-out fuzz-out demo-out

.PHONY: all check check-pg bench fuzz reliability demo lint install uninstall clean FORCE
