#!/usr/bin/env bash
# Make the local stand-in for node:24-bookworm-slim, for machines with no container registry:
# a Debian minbase root file system (mmdebstrap, from the apt mirror) with Node and npm unpacked
# into /usr/local, imported into podman's storage. Skipped when the tag already exists, so CI pays
# for it once per machine.   usage: makeBaseImage.sh amd64|arm64
set -euo pipefail
# shellcheck source=scripts/image/common.sh
source "$(dirname "$0")/common.sh"

arch=${1:?usage: makeBaseImage.sh amd64|arm64}
case "$arch" in amd64 | arm64) ;; *) die "unknown architecture '$arch' (amd64 or arm64)" ;; esac
tag=$(base_image_tag "$arch")
if podman image exists "$tag"; then
  log "base $tag exists, kept"
  exit 0
fi
ensure_emulation "$arch"

work=$(mktemp -d /var/tmp/c5-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$SECONDS
# npm pack: the registry's tarballs, checked against their integrity by npm itself
(cd "$work" && timeout 300 npm pack --silent "node-linux-$(node_package_arch "$arch")@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
node_tgz=$(ls "$work"/node-linux-*.tgz)
npm_tgz="$work/npm-$NPM_VERSION.tgz"

# The customize hook runs on the host against the new root ($1): no emulated work for Node itself.
# Like the official image: node, npm and npx in /usr/local/bin, the headers in /usr/local/include.
timeout 900 mmdebstrap --quiet --variant=minbase --arch="$arch" \
  --customize-hook="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 --no-same-owner package/bin package/include package/share" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 --no-same-owner" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="rm -rf \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/cache/apt/*.bin" \
  "$DEBIAN_SUITE" "$work/rootfs.tar" \
  "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
  "deb ${DEBIAN_MIRROR%/debian}/debian-security $DEBIAN_SUITE-security main"

timeout 300 podman import --quiet --arch "$arch" --os linux \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  --message "c5 local base: Debian $DEBIAN_SUITE minbase, Node $NODE_VERSION, npm $NPM_VERSION" \
  "$work/rootfs.tar" "$tag" >/dev/null
log "base $tag made in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$tag" | numfmt --to=si)B)"
