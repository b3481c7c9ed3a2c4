#!/usr/bin/env bash
# How the page's one front-end library was obtained: uPlot 1.6.32 (MIT), the built
# files from its npm package, copied into src/web/assets/vendor/ and committed (the
# binary embeds them; nothing is fetched at run time or at build time). Re-run to
# check the committed files against the registry's tarball, or with --update to copy.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.6.32
TARBALL_SHA512="KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="
dest=src/web/assets/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "uplot@$VERSION" --silent >/dev/null)
got=$(openssl dgst -sha512 -binary "$work/uplot-$VERSION.tgz" | base64 -w0)
if [ "$got" != "$TARBALL_SHA512" ]; then
  echo "error: uplot-$VERSION.tgz does not match the registry's integrity hash" >&2
  exit 1
fi
tar -xzf "$work/uplot-$VERSION.tgz" -C "$work"
status=0
for pair in "dist/uPlot.iife.min.js:uPlot.iife.min.js" "dist/uPlot.min.css:uPlot.min.css" "LICENSE:uPlot.LICENSE"; do
  from="$work/package/${pair%%:*}"
  to="$dest/${pair##*:}"
  if [ "${1:-}" = "--update" ]; then
    cp "$from" "$to"
  elif ! cmp -s "$from" "$to"; then
    echo "differs from uplot@$VERSION: $to" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "src/web/assets/vendor matches uplot@$VERSION"
exit $status
