#!/usr/bin/env bash
# build-tsan-caf.sh: a ThreadSanitizer-instrumented libcaf_core for `make test-tsan`.
#
#   bash cmake/build-tsan-caf.sh DIR      (the Makefile passes build-tsan/_caf)
#
# Debian's libcaf_core.so is not built with -fsanitize=thread, so TSan cannot see the
# synchronisation inside CAF (its mailbox, scheduler and reference counts are atomics
# in uninstrumented code) and reports every message hand-off between actors as a data
# race. This script builds the same CAF from Debian's own source package of the
# installed version (actor-framework 0.17.6-2.1, the Source: of libcaf-dev) with
# -fsanitize=thread, and installs it into DIR/install (headers and lib/).
#
#   1. download the .dsc, the .orig.tar.gz and the .debian.tar.xz it names from the
#      Debian archive into DIR/download (kept: a later run downloads nothing);
#   2. check the .dsc against the SHA-256 pinned below, each tarball against the
#      Checksums-Sha256 of the .dsc;
#   3. unpack the orig tarball, apply debian/patches/series with patch -p1;
#   4. configure CAF's own CMake for libcaf_core only (no io, openssl, opencl, python,
#      tools, examples, unit tests), build, install.
#
# Nothing happens when DIR/install/.built matches this script's settings. The
# .debian.tar.xz is optional: when the archive does not serve it (on this project's
# machines deb.debian.org answers 404 for it while the .dsc and .orig.tar.gz are
# there), the pristine upstream source is built and a warning says so. Debian's
# patches only touch the build (a -std= flag, a GCC 11 build fix, one upstream PR);
# the installed headers are byte for byte those of upstream 0.17.6. Set
# CAF_REQUIRE_DEBIAN_PATCHES=1 to fail instead.
#
# Environment: JOBS (parallel compile jobs, default nproc), CXX (compiler, default g++).

set -euo pipefail

dir=${1:?usage: build-tsan-caf.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

version=0.17.6
debian_revision=2.1
base_url=http://deb.debian.org/debian/pool/main/a/actor-framework
dsc=actor-framework_${version}-${debian_revision}.dsc
dsc_sha256=7ccc9d9c7585dde8695132dcb48ee4935aa9c56cab382ecb9b925fe9c2de1da8
cxx=${CXX:-g++}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cxx_flags="-std=c++17 -fsanitize=thread -fno-omit-frame-pointer"
build_type=RelWithDebInfo

download="$dir/download"
src="$dir/src"
obj="$dir/obj"
install="$dir/install"
stamp="$install/.built"
settings="actor-framework ${version}-${debian_revision} core only; $cxx; $cxx_flags; $build_type"

log() { echo "build-tsan-caf: $*"; }
die() { echo "build-tsan-caf: error: $*" >&2; exit 1; }

if [[ -f $stamp && -e $install/lib/libcaf_core.so && "$(cat "$stamp")" == "$settings" ]]; then
  exit 0
fi

# --- 1. download (cached) -------------------------------------------------------
mkdir -p "$download"
fetch() { # fetch FILE -> 0 if DIR/download/FILE exists afterwards
  local f=$1
  [[ -s $download/$f ]] && return 0
  log "downloading $base_url/$f"
  if curl -fsSL --retry 3 --connect-timeout 20 -o "$download/$f.part" "$base_url/$f"; then
    mv "$download/$f.part" "$download/$f"
  else
    rm -f "$download/$f.part"
    return 1
  fi
}
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch "$dsc" || die "cannot download $base_url/$dsc"
[[ $(sha256_of "$download/$dsc") == "$dsc_sha256" ]] \
  || { rm -f "$download/$dsc"; die "$dsc: SHA-256 differs from the pinned one"; }

# "Checksums-Sha256:" lines of the .dsc: " <sha256> <size> <file>"
declare -A want
while read -r sum _ file; do want[$file]=$sum; done < <(
  awk '/^Checksums-Sha256:/ {on=1; next} /^[^ ]/ {on=0} on && NF == 3 {print}' "$download/$dsc")

orig=actor-framework_${version}.orig.tar.gz
debian_tar=actor-framework_${version}-${debian_revision}.debian.tar.xz
[[ -n ${want[$orig]:-} && -n ${want[$debian_tar]:-} ]] || die "$dsc does not name $orig and $debian_tar"

fetch "$orig" || die "cannot download $base_url/$orig"
[[ $(sha256_of "$download/$orig") == "${want[$orig]}" ]] \
  || { rm -f "$download/$orig"; die "$orig: SHA-256 differs from $dsc"; }
log "$orig: SHA-256 matches $dsc"

have_debian=0
if fetch "$debian_tar"; then
  [[ $(sha256_of "$download/$debian_tar") == "${want[$debian_tar]}" ]] \
    || { rm -f "$download/$debian_tar"; die "$debian_tar: SHA-256 differs from $dsc"; }
  log "$debian_tar: SHA-256 matches $dsc"
  have_debian=1
elif [[ ${CAF_REQUIRE_DEBIAN_PATCHES:-0} == 1 ]]; then
  die "cannot download $base_url/$debian_tar (CAF_REQUIRE_DEBIAN_PATCHES=1)"
else
  log "WARNING: $base_url/$debian_tar is not available; building the pristine upstream source without Debian's patches"
fi

# --- 2. unpack and patch --------------------------------------------------------
rm -rf "$src" "$obj"
mkdir -p "$src"
tar -xzf "$download/$orig" -C "$src" --strip-components=1
if (( have_debian )); then
  tar -xJf "$download/$debian_tar" -C "$src"
  if [[ -f $src/debian/patches/series ]]; then
    while read -r p _; do
      [[ -z $p || $p == \#* ]] && continue
      log "applying debian/patches/$p"
      patch -d "$src" -p1 --forward --batch < "$src/debian/patches/$p"
    done < "$src/debian/patches/series"
  fi
fi

# --- 3. configure, build, install libcaf_core only ------------------------------
log "building libcaf_core with -fsanitize=thread ($jobs jobs; a few minutes)"
cmake -S "$src" -B "$obj" \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=$build_type \
  -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$install" \
  -DCMAKE_INSTALL_LIBDIR=lib \
  -DCAF_NO_IO=yes -DCAF_NO_OPENSSL=yes -DCAF_NO_OPENCL=yes -DCAF_NO_PYTHON=yes \
  -DCAF_NO_TOOLS=yes -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes \
  -DCAF_NO_SUMMARY=yes -DCAF_LOG_LEVEL=QUIET \
  > "$dir/configure.log" 2>&1 || { tail -n 40 "$dir/configure.log" >&2; die "configure failed (see $dir/configure.log)"; }
cmake --build "$obj" --target libcaf_core_shared -j"$jobs" \
  > "$dir/build.log" 2>&1 || { tail -n 40 "$dir/build.log" >&2; die "build failed (see $dir/build.log)"; }
rm -rf "$install"
cmake --install "$obj" > "$dir/install.log" 2>&1 \
  || { tail -n 40 "$dir/install.log" >&2; die "install failed (see $dir/install.log)"; }
[[ -e $install/lib/libcaf_core.so && -f $install/include/caf/all.hpp ]] \
  || die "install did not produce lib/libcaf_core.so and include/caf/all.hpp"
echo "$settings" > "$stamp"
log "installed into $install"
