# The two commands a new user needs:  make demo   and   make test
# Everything else here is a step they run.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DATA_DIR ?= $(CURDIR)/demo-data/catalog
MUSIC_DIR ?= $(CURDIR)/demo-data/music
BIN := $(BUILD_DIR)/audiorium

.PHONY: all deps configure build test test-sanitize demo demo-music bench clean

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

demo-music: deps
	bash scripts/fetch-demo-music.sh $(MUSIC_DIR)

demo: build demo-music
	bash scripts/demo.sh $(BIN) $(MUSIC_DIR) $(DATA_DIR)

bench: build demo-music
	bash scripts/bench.sh $(BUILD_DIR) $(MUSIC_DIR) $(CURDIR)/demo-data/bench

clean:
	rm -rf $(BUILD_DIR)
