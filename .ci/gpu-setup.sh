#!/bin/sh
# Installs a software Vulkan GPU for the GPU test suites (shared/gpu-ci.md, route B): Mesa lavapipe
# from bookworm-backports (Mesa >= 25; bookworm's own lavapipe 22.3 is refused by Dawn) and the
# Vulkan loader, plus route A's pieces (libEGL for Dawn's OpenGL fallback) and fio for the loader
# bench. Runs as root; idempotent (re-running only re-checks). Called by .ci/run.
set -eu

if [ "$(id -u)" != 0 ]; then
  echo "gpu-setup: must run as root (apt-get); or install mesa-vulkan-drivers and libvulkan1 from bookworm-backports yourself" >&2
  exit 1
fi

LIST=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$LIST" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
  # Reuse the Debian archive apt already uses (deb822 or one-line format).
  URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$URI" ] || URI=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$URI" ] || { echo "gpu-setup: cannot find the Debian archive in apt's sources" >&2; exit 1; }
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$URI" > "$LIST"
fi

need=0
dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q 'bpo12' || need=1
dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'install ok installed' || need=1
# Route A needs the unversioned libEGL.so (dlopened by Dawn) and llvmpipe's DRI driver.
dpkg-query -W -f='${Status}' libegl-dev 2>/dev/null | grep -q 'install ok installed' || need=1
command -v fio >/dev/null 2>&1 || need=1

if [ "$need" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # One transaction with the backports as target release, so every Mesa package comes from the
  # same Mesa version (libglvnd's libegl1 / libegl-dev are not in backports and come from bookworm).
  apt-get install -y -qq --no-install-recommends -t bookworm-backports \
    mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri fio >/dev/null
fi
echo "gpu-setup: lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), libvulkan1 $(dpkg-query -W -f='${Version}' libvulkan1)"
