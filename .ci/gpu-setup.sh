#!/bin/sh
# Installs a software Vulkan GPU for the GPU test suites (shared/gpu-ci.md, route B): Mesa lavapipe
# from bookworm-backports (Mesa >= 25; bookworm's own lavapipe 22.3 is refused by Dawn) and the
# Vulkan loader. Runs as root; idempotent (re-running only re-checks). Called by .ci/run.
# Route A (Dawn's OpenGL backend on stock Mesa, EGL_PLATFORM=surfaceless) is the runtime fallback
# when this fails, so a failure here is reported but does not stop CI by itself.
set -eu

if [ "$(id -u)" != 0 ]; then
  echo "gpu-setup: must run as root (apt-get)" >&2
  exit 1
fi

LIST=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$LIST" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
  # Reuse the Debian mirror apt already uses.
  URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$URI" ] || URI=http://deb.debian.org/debian
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$URI" > "$LIST"
fi

need=0
dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q 'bpo12' || need=1
dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'install ok installed' || need=1
# Route A needs the unversioned libEGL.so (dlopened by Dawn) and llvmpipe's DRI driver.
dpkg-query -W -f='${Status}' libegl-dev 2>/dev/null | grep -q 'install ok installed' || need=1

if [ "$need" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # One transaction with the backports as target release, so every Mesa package comes from the
  # same Mesa version (libglvnd's libegl1 / libegl-dev are not in backports and come from bookworm).
  apt-get install -y -qq --no-install-recommends -t bookworm-backports \
    mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri
fi
echo "gpu-setup: lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), libvulkan1 $(dpkg-query -W -f='${Version}' libvulkan1)"
