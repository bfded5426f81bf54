#!/bin/sh
# Install the Interim CRM bundle on Linux: run it from the unpacked bundle folder.
#   ./install.sh                 as a user: into ~/.local (as root: /usr/local)
#   PREFIX=/opt/x ./install.sh   elsewhere; DESTDIR=/tmp/pkg ./install.sh stages a package
# The program goes to PREFIX/lib/interim-crm with `crm` and `interim-crm` linked from
# PREFIX/bin; the desktop file, metainfo, icons, completion and man page go under PREFIX/share.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PREFIX:-}" ]; then
    if [ "$(id -u)" -eq 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
fi
DESTDIR=${DESTDIR:-}
app_id=uk.co.interimcrm.InterimCRM
root="$DESTDIR$PREFIX"

# The program: the whole bundle folder, then the two commands linked into bin/.
lib="$root/lib/interim-crm"
rm -rf "$lib"
mkdir -p "$lib"
for item in "$here"/*; do
    case "$(basename "$item")" in share|install.sh) continue ;; esac
    cp -a "$item" "$lib/"
done
for program in crm interim-crm; do
    [ -e "$lib/$program" ] || { echo "install.sh: $program is missing from $here" >&2; exit 1; }
    install -d "$root/bin"
    ln -sf "$PREFIX/lib/interim-crm/$program" "$root/bin/$program"
done

# Desktop integration, in the usual places.
share="$here/share"
install -Dm644 "$share/applications/$app_id.desktop" "$root/share/applications/$app_id.desktop"
install -Dm644 "$share/metainfo/$app_id.metainfo.xml" "$root/share/metainfo/$app_id.metainfo.xml"
for icon in "$share"/icons/hicolor/*/apps/interim-crm.*; do
    relative=${icon#"$share/"}
    install -Dm644 "$icon" "$root/share/$relative"
done
install -Dm644 "$share/bash-completion/completions/crm" "$root/share/bash-completion/completions/crm"
install -Dm644 "$share/zsh/site-functions/_crm" "$root/share/zsh/site-functions/_crm"
install -Dm644 "$share/man/man1/crm.1" "$root/share/man/man1/crm.1"

# Refresh the caches when installing for real (not when staging into DESTDIR).
if [ -z "$DESTDIR" ]; then
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
fi
echo "Interim CRM installed under $PREFIX (run: $PREFIX/bin/interim-crm, or crm in a terminal)"
