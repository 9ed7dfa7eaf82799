# vrsim: the two commands of the README, plus helpers.
# make run   installs what is missing, builds in release mode and runs the default job
# make test  installs what is missing and runs the whole test suite (plus the format lint)
# make fuzz      coverage-guided fuzzing of every input reader, FUZZ_SECONDS per target (docs/fuzzing.md)
# make sanitize  the parallel parts' tests under ThreadSanitizer, the parsers' under AddressSanitizer
# (CI runs both after make test: .ci/run)

.PHONY: run test build lint format bench clean docs fuzz sanitize

FUZZ_SECONDS ?= 60

run:
	@scripts/install-deps.sh
	swift build -c release --product vrsim
	.build/release/vrsim run

test:
	@scripts/install-deps.sh
	swift format lint --strict -r Sources Tests
	swift build -c release --product vrsim
	swift build --build-tests
	swift test --skip-build --parallel
	scripts/notebooks.sh check
	$(MAKE) docs

build:
	@scripts/install-deps.sh
	swift build -c release --product vrsim

lint:
	swift format lint --strict -r Sources Tests

format:
	swift format -i -r Sources Tests Package.swift

bench: build
	.build/release/vrsim bench engine
	.build/release/vrsim bench net
	.build/release/vrsim bench host

# API documentation (DocC catalogs in Sources/Experiment and Sources/Calibration); a warning fails.
docs:
	swift package generate-documentation --target Experiment --target Calibration --warnings-as-errors

fuzz:
	@scripts/install-deps.sh
	scripts/fuzz.sh --seconds $(FUZZ_SECONDS)

sanitize:
	@scripts/install-deps.sh
	scripts/sanitize.sh

clean:
	rm -rf .build .build-fuzz .build-tsan .build-asan
