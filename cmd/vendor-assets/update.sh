#!/usr/bin/env bash
# Re-vendor the front-end libraries into static/vendor/ from the npm registry
# and regenerate the file table (versions, sources, licences, sha256) in
# static/vendor/README.md.
#
# Usage: cmd/vendor-assets/update.sh [VUE_VERSION] [LAYUI_VERSION]
# Needs: bash, npm, node, tar, sha256sum. Run from anywhere inside the repo.
set -euo pipefail

VUE_VERSION="${1:-3.5.45}"
LAYUI_VERSION="${2:-2.13.6}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENDOR="$ROOT/static/vendor"
README="$VENDOR/README.md"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# unpack NAME VERSION: npm pack + extract into $TMP/NAME; sets PKG to the package dir
unpack() {
  PKG="$TMP/$1/package"
  mkdir -p "$TMP/$1"
  cd "$TMP/$1"
  npm pack --loglevel=warn "$1@$2" >/dev/null
  tar xzf ./*.tgz
  cd "$ROOT"
  local got
  got="$(node -p "require('$PKG/package.json').version")"
  [[ "$got" == "$2" ]] || { echo "$1: wanted $2, got $got" >&2; exit 1; }
}

ROWS=()
# take LIB VERSION PKGDIR SRC DEST: copy one file and record a table row
take() {
  local lib=$1 ver=$2 pkg=$3 src=$4 dest=$5 spdx
  mkdir -p "$(dirname "$VENDOR/$dest")"
  cp "$pkg/$src" "$VENDOR/$dest"
  spdx="$(node -p "require('$pkg/package.json').license")"
  ROWS+=("| $lib | $ver | \`$lib\` | \`$dest\` | \`$src\` | $spdx | $(wc -c <"$VENDOR/$dest") | \`$(sha256sum "$VENDOR/$dest" | cut -d' ' -f1)\` |")
}

# --- Vue (ES-module browser build with the template compiler) ---
unpack vue "$VUE_VERSION"; VUE="$PKG"
rm -rf "$VENDOR/vue"
take vue "$VUE_VERSION" "$VUE" dist/vue.esm-browser.prod.js vue/vue.esm-browser.prod.js
take vue "$VUE_VERSION" "$VUE" LICENSE vue/LICENSE
grep -Eq 'export\{[^}]* as createApp[,}]' "$VENDOR/vue/vue.esm-browser.prod.js" \
  || { echo "vue: no createApp export" >&2; exit 1; }

# --- layui: the stylesheet only (forms, buttons, tables, panels). No page
# loads layui.js, and the icon font is not taken: the one icon a page shows
# is drawn in static/css/app.css, so layui.css's @font-face points at files
# that are not there and its layui-icon classes must not be used.
unpack layui "$LAYUI_VERSION"; LAYUI="$PKG"
rm -rf "$VENDOR/layui"
take layui "$LAYUI_VERSION" "$LAYUI" dist/css/layui.css layui/css/layui.css
take layui "$LAYUI_VERSION" "$LAYUI" LICENSE layui/LICENSE

# --- rewrite the generated table in README.md (between the markers) ---
TABLE="$TMP/table.md"
{
  echo "| Library | Version | npm package | Vendored file (under static/vendor/) | Path in package | Licence (SPDX) | Bytes | SHA-256 |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
} >"$TABLE"
if [[ -f "$README" ]] && grep -q '<!-- BEGIN vendor table -->' "$README"; then
  awk -v table="$TABLE" '
    /<!-- BEGIN vendor table -->/ { print; while ((getline l < table) > 0) print l; skip=1; next }
    /<!-- END vendor table -->/   { skip=0 }
    !skip' "$README" >"$TMP/README.md"
  cp "$TMP/README.md" "$README"
  echo "Updated table in static/vendor/README.md"
else
  cat "$TABLE"
fi
