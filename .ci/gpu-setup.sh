#!/usr/bin/env bash
# Installs Mesa's lavapipe (software Vulkan, Mesa >= 25) and the Vulkan loader from Debian
# bookworm-backports, the route shared/gpu-ci.md measured to run Dawn's Vulkan backend without a GPU.
# Idempotent; needs root and Debian's archive. Stock bookworm lavapipe (22.3) is refused by Dawn.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "gpu-setup: run as root (apt-get) or install mesa-vulkan-drivers from bookworm-backports yourself" >&2
  exit 1
fi
if ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q 'bpo12'; then
  src=/etc/apt/sources.list.d/bookworm-backports.sources
  if [ ! -f "$src" ]; then
    # Reuse the Debian archive apt already uses (deb822 or one-line format).
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || { echo "gpu-setup: cannot find the Debian archive in apt's sources" >&2; exit 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$src"
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi
command -v fio >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fio >/dev/null
echo "gpu-setup: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
