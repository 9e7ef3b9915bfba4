#!/bin/sh
# Install the unpacked bundle for the current user (or system-wide with PREFIX=/opt as root).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-"$HOME/.local"}
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications" "$prefix/share/icons/hicolor/256x256/apps"
rm -rf "$prefix/lib/carecoord"
cp -R "$here" "$prefix/lib/carecoord"
ln -sf "$prefix/lib/carecoord/carecoord" "$prefix/bin/carecoord"
sed "s|^Exec=.*|Exec=$prefix/bin/carecoord|" "$here/carecoord.desktop" > "$prefix/share/applications/carecoord.desktop"
cp "$here/carecoord.png" "$prefix/share/icons/hicolor/256x256/apps/carecoord.png" 2>/dev/null || true
echo "CareCoord installed in $prefix/lib/carecoord; start it from the applications menu or with: carecoord"
