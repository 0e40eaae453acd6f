# Shortcuts for the scripts that do the work (a fresh Debian has no make: use them directly).
.PHONY: run test bundle install-desktop

run:
	./dev run

test:
	./dev test

bundle:
	packaging/build.sh

install-desktop: bundle
	packaging/install-desktop.sh
