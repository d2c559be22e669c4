# The two commands a new user needs:  make demo   and   make test
# Everything else here is a step they run.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DATA_DIR ?= $(CURDIR)/demo-data/catalog
MUSIC_DIR ?= $(CURDIR)/demo-data/music
BIN := $(BUILD_DIR)/audiorium

.PHONY: all deps configure build test test-sanitize fuzz-build fuzz-smoke fuzz demo demo-music bench clean

all: build

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && OMP_WAIT_POLICY=PASSIVE ctest --output-on-failure --timeout 300 -j $(JOBS)

# ASan + UBSan build in build-asan and the whole suite under it (README, Hardening: Sanitizers).
test-sanitize: deps
	bash scripts/test-sanitize.sh build-asan $(JOBS)

# libFuzzer targets (fuzz/, README: Hardening, Fuzzing): clang build in build-fuzz, seeds, every target for
# FUZZ_SECONDS each. fuzz-smoke keeps its corpus in build-fuzz/fuzz-corpus; `make fuzz FUZZ_SECONDS=3600` is the
# long run, its corpus kept in fuzz-corpus/ (ignored by git) so each run continues the last. FUZZ_TARGETS picks some.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30
fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" -DAUDIORIUM_FUZZ=ON -DAUDIORIUM_BUILD_TESTS=OFF -DAUDIORIUM_BUILD_BENCH=OFF
	cmake --build $(FUZZ_DIR) --target fuzz_all -j $(JOBS)
	python3 fuzz/make_seeds.py $(FUZZ_DIR)

fuzz-smoke: fuzz-build
	bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz: fuzz-build
	FUZZ_CORPUS=$(CURDIR)/fuzz-corpus bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

demo-music: deps
	bash scripts/fetch-demo-music.sh $(MUSIC_DIR)

demo: build demo-music
	bash scripts/demo.sh $(BIN) $(MUSIC_DIR) $(DATA_DIR)

bench: build demo-music
	bash scripts/bench.sh $(BUILD_DIR) $(MUSIC_DIR) $(CURDIR)/demo-data/bench

# Soak (README, Hardening: Soak): SOAK_SECONDS (default 120) of mixed API traffic, 64 connections, over the demo
# music plus SOAK_TRACKS (default 100000) synthetic tracks; RSS sampled into demo-data/soak/rss.csv.
.PHONY: soak
soak: build demo-music
	cmake --build $(BUILD_DIR) --target audiorium bench_make_synthetic_catalog -j $(JOBS)
	bash scripts/soak.sh $(BUILD_DIR) $(MUSIC_DIR) $(CURDIR)/demo-data/soak

clean:
	rm -rf $(BUILD_DIR)
