#!/usr/bin/env bash
# Make sure the system libraries Qt needs are present on Debian/Ubuntu.
# As root they are installed with apt; otherwise the exact apt line is printed.
set -euo pipefail

# Offscreen Qt (tests, screenshots) needs the first line; a real X11 display the second.
packages=(libglib2.0-0 libdbus-1-3 libegl1 libgl1 libfontconfig1 libx11-6 libxkbcommon0 fonts-dejavu-core
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
          libxcb-randr0 libxcb-render-util0 libxcb-image0 libxkbcommon-x11-0 libxcb-xkb1)

command -v dpkg-query >/dev/null || exit 0   # not Debian/Ubuntu: nothing we can check

missing=()
for pkg in "${packages[@]}"; do
    # Debian 13 renamed some libraries with a t64 suffix; either name will do.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" &&
       ! dpkg-query -W -f='${Status}' "${pkg}t64" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Qt system libraries: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "Qt needs these system libraries. Install them with:"
    echo "    sudo apt-get install -y ${missing[*]}"
    exit 1
fi
