# QuotaLane: nginx module + admind.
#   make          build the module .so, admind and the web console
#   make install  install them under PREFIX (/usr/local), DESTDIR honoured
#   make run      install, build and start the local stack under var/
#   make stop     stop the local stack
#   make test     unit tests (cmocka) and integration tests (prove)
#   make api-docs the admin API reference (docs/API.md) from proto/

BUILD       := build
NGINX_SRC   ?= /usr/share/nginx/src
MODULE_SO   := $(BUILD)/nginx/ngx_http_quotalane_module.so
ADMIND      := $(BUILD)/admind

PKGS        := libmicrohttpd jansson hiredis libmariadb openssl libcurl
CC          ?= cc
CFLAGS      ?= -O2 -g
# admind's layers, one folder each (README, Layout); headers by name
ADMIND_DIRS := admind $(filter-out admind/migrations, \
                   $(patsubst %/,%,$(wildcard admind/*/)))
QL_CFLAGS   := -std=gnu11 -Wall -Wextra -Werror -Iql \
               $(addprefix -I,$(ADMIND_DIRS)) \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
QL_LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ljwt -lpcre2-8 \
               -lcrypt -lldap -llber -lpthread -lz

QL_SRCS     := $(wildcard ql/*.c)
QL_HDRS     := $(wildcard ql/*.h)
ADMIND_SRCS := $(wildcard $(addsuffix /*.c,$(ADMIND_DIRS)))
ADMIND_LIB  := $(filter-out admind/admind_main.c,$(ADMIND_SRCS))
ADMIND_HDRS := $(wildcard $(addsuffix /*.h,$(ADMIND_DIRS)))
MODULE_SRCS := $(wildcard ngx_quotalane_module/*.[ch]) \
               $(wildcard ngx_quotalane_module/lua/*.lua) \
               config $(QL_SRCS) $(QL_HDRS)

# Compiled once, archived, linked into admind, the unit tests and tools.
OBJ_DIR     := $(BUILD)/obj
QL_OBJS     := $(patsubst %.c,$(OBJ_DIR)/%.o,$(QL_SRCS))
ADMIND_OBJS := $(patsubst %.c,$(OBJ_DIR)/%.o,$(ADMIND_LIB))
ADMIND_MAIN := $(OBJ_DIR)/admind/admind_main.o
LIBQL       := $(BUILD)/libqladmind.a

UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

PROVE_JOBS  ?= 2

.PHONY: all deps module module-asan admind console tools unit integration \
        test run stop clean api-docs print-cflags install

all: module admind console

deps:
	@scripts/install-deps.sh

module: $(MODULE_SO)

$(MODULE_SO): $(MODULE_SRCS) scripts/build-module.sh
	NGINX_SRC=$(NGINX_SRC) BUILD_DIR=$(CURDIR)/$(BUILD)/nginx \
	    scripts/build-module.sh

# The module with AddressSanitizer, for QL_ASAN=1 test runs.
module-asan:
	NGINX_SRC=$(NGINX_SRC) BUILD_DIR=$(CURDIR)/$(BUILD)/nginx-asan \
	    MODULE_CC_OPT="-fsanitize=address -fno-omit-frame-pointer" \
	    scripts/build-module.sh

admind: $(ADMIND)

$(OBJ_DIR)/%.o: %.c $(ADMIND_HDRS) $(QL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(QL_CFLAGS) -c $< -o $@

$(LIBQL): $(ADMIND_OBJS) $(QL_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(ADMIND): $(ADMIND_MAIN) $(LIBQL)
	$(CC) $(CFLAGS) $(ADMIND_MAIN) $(LIBQL) -o $@ $(QL_LIBS)

$(BUILD)/unit/%: t/unit/%.c $(LIBQL)
	@mkdir -p $(BUILD)/unit
	$(CC) $(CFLAGS) $(QL_CFLAGS) $< $(LIBQL) -o $@ $(QL_LIBS) -lcmocka

# The web console: its own files and the libraries pinned in
# console/package-lock.json (npm ci by scripts/install-deps.sh), copied
# into one flat directory that admind serves (console_dir).
CONSOLE_DIR  := $(BUILD)/console
CONSOLE_SRCS := $(wildcard console/*.html console/*.js console/*.css)
CONSOLE_NPM  := console/node_modules/uplot/dist
CONSOLE_OUT  := $(patsubst console/%,$(CONSOLE_DIR)/%,$(CONSOLE_SRCS)) \
                $(CONSOLE_DIR)/uplot.js $(CONSOLE_DIR)/uplot.css

console: $(CONSOLE_OUT)
	@for f in $(CONSOLE_DIR)/*; do \
	    case " $(CONSOLE_OUT) " in *" $$f "*) ;; *) rm -f "$$f" ;; esac; \
	done

$(CONSOLE_DIR)/%: console/%
	@mkdir -p $(CONSOLE_DIR)
	cp $< $@

$(CONSOLE_DIR)/uplot.js: $(CONSOLE_NPM)/uPlot.esm.js
	@mkdir -p $(CONSOLE_DIR)
	cp $< $@

$(CONSOLE_DIR)/uplot.css: $(CONSOLE_NPM)/uPlot.min.css
	@mkdir -p $(CONSOLE_DIR)
	cp $< $@

$(CONSOLE_NPM)/%:
	@echo "$@ is missing: make deps (npm ci in console/)" >&2; exit 1

# Small commands the integration tests drive (nginx-free references).
TOOL_SRCS   := $(wildcard t/tools/*.c)
TOOL_BINS   := $(patsubst t/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

$(BUILD)/tools/%: t/tools/%.c $(LIBQL)
	@mkdir -p $(BUILD)/tools
	$(CC) $(CFLAGS) $(QL_CFLAGS) $< $(LIBQL) -o $@ $(QL_LIBS)

tools: $(TOOL_BINS)

# The API contract compiled (build/proto/quotalane.pb) and its reference
# generated; t/070-api-contract.t fails when docs/API.md is stale.
api-docs:
	@scripts/api-docs.sh

# the flags our nginx-free C is compiled with (t/004-install-deps.t)
print-cflags:
	@echo $(QL_CFLAGS)

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
	    echo "# $$t"; $$t || fail=1; \
	done; exit $$fail

integration: all module-asan tools
	prove -j$(PROVE_JOBS) t/

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory -j2 $(UNIT_BINS)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop

clean:
	rm -rf $(BUILD)

# admind, the module, the schema migrations and the console where a
# packaged install keeps them; admind.conf.example points admind there.
PREFIX      ?= /usr/local
QL_SHARE    := $(PREFIX)/share/quotalane

install: all
	install -D -m 0755 $(ADMIND) $(DESTDIR)$(PREFIX)/sbin/quotalane-admind
	install -D -m 0644 $(MODULE_SO) \
	    $(DESTDIR)$(PREFIX)/lib/quotalane/ngx_http_quotalane_module.so
	install -d $(DESTDIR)$(QL_SHARE)/migrations $(DESTDIR)$(QL_SHARE)/console
	install -m 0644 admind/migrations/*.sql $(DESTDIR)$(QL_SHARE)/migrations/
	install -m 0644 $(CONSOLE_OUT) $(DESTDIR)$(QL_SHARE)/console/
	sed -e 's|^migrations_dir = .*|migrations_dir = $(QL_SHARE)/migrations|' \
	    -e 's|^console_dir = .*|console_dir = $(QL_SHARE)/console|' \
	    conf/admind.conf > $(DESTDIR)$(QL_SHARE)/admind.conf.example

# Fuzzing (clang + libFuzzer, ASan, UBSan) for a bounded time:
#   make fuzz [FUZZ_TIME=60] [FUZZ_TIME_PRICING=20] [FUZZ_TIME_ROUTE=20]
#             [FUZZ_TIME_XFORM=20] [FUZZ_TIME_BEDROCK=20] [FUZZ_TIME_JSON=20]
#             [FUZZ_TIME_ES=20]
# Seeds in t/fuzz/corpus/ are read only; new inputs go to build/fuzz/.
FUZZ_CC           ?= clang
FUZZ_TIME         ?= 60
FUZZ_TIME_PRICING ?= 20
FUZZ_TIME_ROUTE   ?= 20
FUZZ_TIME_XFORM   ?= 20
FUZZ_TIME_BEDROCK ?= 20
FUZZ_TIME_JSON    ?= 20
FUZZ_TIME_ES      ?= 20
FUZZ_CFLAGS       := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Iql \
                     -fsanitize=fuzzer,address,undefined \
                     -fno-sanitize-recover=undefined
FUZZ_OPTS         := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                     -artifact_prefix=$(BUILD)/fuzz/

.PHONY: fuzz fuzz-build

fuzz-build: $(BUILD)/fuzz/fuzz_usage $(BUILD)/fuzz/fuzz_pricing \
            $(BUILD)/fuzz/fuzz_route $(BUILD)/fuzz/fuzz_transform \
            $(BUILD)/fuzz/fuzz_bedrock_stream $(BUILD)/fuzz/fuzz_json_valid \
            $(BUILD)/fuzz/fuzz_eventstream

$(BUILD)/fuzz/fuzz_usage: t/fuzz/fuzz_usage.c ql/ql_usage.c ql/ql_usage.h \
                          ql/ql_sse.c ql/ql_sse.h ql/ql_json_valid.c \
                          ql/ql_json_valid.h ql/ql_utf8.c
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_usage.c ql/ql_usage.c \
	    ql/ql_sse.c ql/ql_json_valid.c ql/ql_utf8.c -o $@ -ljansson

$(BUILD)/fuzz/fuzz_pricing: t/fuzz/fuzz_pricing.c ql/ql_pricing.c \
                            ql/ql_pricing.h ql/ql_usage.h ql/ql_sse.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_pricing.c ql/ql_pricing.c \
	    -o $@ -ljansson

$(BUILD)/fuzz/fuzz_route: t/fuzz/fuzz_route.c ql/ql_route.c ql/ql_route.h \
                          ql/ql_platform.c ql/ql_platform.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_route.c ql/ql_route.c \
	    ql/ql_platform.c -o $@

$(BUILD)/fuzz/fuzz_transform: t/fuzz/fuzz_transform.c ql/ql_unwrap.c \
                              ql/ql_unwrap.h ql/ql_usage_strip.c \
                              ql/ql_usage_strip.h ql/ql_json_member.c \
                              ql/ql_json_member.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_transform.c ql/ql_unwrap.c \
	    ql/ql_usage_strip.c ql/ql_json_member.c -o $@ -ljansson

$(BUILD)/fuzz/fuzz_bedrock_stream: t/fuzz/fuzz_bedrock_stream.c \
                                   t/fuzz/fuzz_es_frame.h \
                                   ql/ql_bedrock_stream.c \
                                   ql/ql_bedrock_stream.h \
                                   ql/ql_eventstream.c ql/ql_eventstream.h \
                                   ql/ql_json_member.c ql/ql_json_member.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_bedrock_stream.c \
	    ql/ql_bedrock_stream.c ql/ql_eventstream.c ql/ql_json_member.c \
	    -o $@ -ljansson -lcrypto -lz

$(BUILD)/fuzz/fuzz_eventstream: t/fuzz/fuzz_eventstream.c ql/ql_eventstream.c \
                               ql/ql_eventstream.h t/fuzz/fuzz_es_frame.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_eventstream.c ql/ql_eventstream.c \
	    -o $@ -lz

$(BUILD)/fuzz/fuzz_json_valid: t/fuzz/fuzz_json_valid.c ql/ql_json_valid.c \
                               ql/ql_json_valid.h ql/ql_utf8.c ql/ql_utf8.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) t/fuzz/fuzz_json_valid.c ql/ql_json_valid.c \
	    ql/ql_utf8.c -o $@ -ljansson

fuzz: fuzz-build
	@mkdir -p $(BUILD)/fuzz/corpus-usage $(BUILD)/fuzz/corpus-pricing \
	    $(BUILD)/fuzz/corpus-route $(BUILD)/fuzz/corpus-transform \
	    $(BUILD)/fuzz/corpus-bedrock $(BUILD)/fuzz/corpus-json \
	    $(BUILD)/fuzz/corpus-eventstream
	$(BUILD)/fuzz/fuzz_usage $(FUZZ_OPTS) -max_len=65536 \
	    -max_total_time=$(FUZZ_TIME) \
	    $(BUILD)/fuzz/corpus-usage t/fuzz/corpus/usage
	$(BUILD)/fuzz/fuzz_pricing $(FUZZ_OPTS) -max_len=16384 \
	    -max_total_time=$(FUZZ_TIME_PRICING) \
	    $(BUILD)/fuzz/corpus-pricing t/fuzz/corpus/pricing
	$(BUILD)/fuzz/fuzz_route $(FUZZ_OPTS) -max_len=4096 \
	    -max_total_time=$(FUZZ_TIME_ROUTE) \
	    $(BUILD)/fuzz/corpus-route t/fuzz/corpus/route
	$(BUILD)/fuzz/fuzz_transform $(FUZZ_OPTS) -max_len=16384 \
	    -max_total_time=$(FUZZ_TIME_XFORM) \
	    $(BUILD)/fuzz/corpus-transform t/fuzz/corpus/transform
	$(BUILD)/fuzz/fuzz_bedrock_stream $(FUZZ_OPTS) -max_len=16384 \
	    -max_total_time=$(FUZZ_TIME_BEDROCK) \
	    $(BUILD)/fuzz/corpus-bedrock t/fuzz/corpus/bedrock
	$(BUILD)/fuzz/fuzz_json_valid $(FUZZ_OPTS) -max_len=16384 \
	    -max_total_time=$(FUZZ_TIME_JSON) \
	    $(BUILD)/fuzz/corpus-json t/fuzz/corpus/json
	$(BUILD)/fuzz/fuzz_eventstream $(FUZZ_OPTS) -max_len=16384 \
	    -max_total_time=$(FUZZ_TIME_ES) \
	    $(BUILD)/fuzz/corpus-eventstream t/fuzz/corpus/eventstream

# Benchmark (issue 4): A mock / B plain nginx proxy / C gateway, one table,
# raw numbers in bench-results/.  make bench [BENCH_ARGS=--quick]
.PHONY: bench

bench:
	@scripts/bench $(BENCH_ARGS)
