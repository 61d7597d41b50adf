#!/usr/bin/env bash
# `npm run image:test [-- --arch amd64|arm64]`: build the pole's image (Dockerfile.arm64) for each
# architecture (both by default; arm64 runs under QEMU on an x86 machine), run it the way the
# README tells operators to (read-only root, non-root, no capabilities, state volume, config and
# the shared model mounted read-only) and check it: /healthz answers, the HEALTHCHECK reports
# healthy, `uname -m` is the target's, the CLI finds the dog, the bicycle and the car in dog.jpg,
# and SIGTERM stops it within 10 s. Prints the build time, image size and each check; exits 1 if
# any check fails. Removes the containers, volumes and files it made; keeps the base images and
# the build's layers, so a second run takes seconds. Needs root, podman, buildah, mmdebstrap,
# arch-test, qemu-user-static and binfmt-support (.ci/run installs them).
set -euo pipefail
# shellcheck source=scripts/image/common.sh
source "$(dirname "$0")/common.sh"

archs=()
while (($#)); do
  case "$1" in
    --arch)
      [ $# -ge 2 ] || die "--arch needs amd64 or arm64"
      case "$2" in amd64 | arm64) archs+=("$2") ;; *) die "--arch: unknown architecture '$2' (amd64 or arm64)" ;; esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1' (usage: image:test [-- --arch amd64|arm64])" ;;
  esac
done
((${#archs[@]})) || archs=(amd64 arm64)
[ "$(id -u)" -eq 0 ] || die "needs root (rootful podman; binfmt_misc for arm64)"
for tool in podman buildah mmdebstrap ffmpeg; do command -v "$tool" >/dev/null || die "$tool is not installed (see .ci/run)"; done

shared_dir=$(cd "$repo_root/../shared" 2>/dev/null && pwd) || die "../shared (models, media) is missing"
model_dir="$shared_dir/models"
dog_jpg="$shared_dir/media/dog.jpg"
[ -f "$model_dir/yolox_nano.onnx" ] && [ -f "$dog_jpg" ] || die "$model_dir/yolox_nano.onnx or $dog_jpg is missing"

# Behind a proxy with its own CA, npm inside the build needs the host's bundle. Opt-in: a bundle
# named by C5_IMAGE_CA_BUNDLE, else NODE_EXTRA_CA_CERTS (set on machines behind such a proxy). A
# build secret: mounted for the npm steps only, never written into a layer.
ca_bundle=${C5_IMAGE_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-}}
secret_args=()
[ -n "$ca_bundle" ] && secret_args=(--secret "id=ca-bundle,src=$ca_bundle")

run_id="c5-image-test-$$"
work=$(mktemp -d "/tmp/$run_id.XXXXXX")
containers=()
volumes=()
cleanup() {
  local name
  for name in "${containers[@]}"; do timeout 60 podman rm --force --time 0 "$name" >/dev/null 2>&1 || log "could not remove container $name"; done
  for name in "${volumes[@]}"; do timeout 60 podman volume rm --force "$name" >/dev/null 2>&1 || log "could not remove volume $name"; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }

# One whole-frame zone whose rule fires on a dog, a bicycle or a car: replay's decisions name
# what the model found. The camera of `run` points at nothing (offline, retried): the agent
# still serves /healthz, which answers while the process is alive, ready or not.
write_site_config() {
  local dir=$1 metrics_port=$2
  mkdir -p "$dir"
  cat >"$dir/site.yaml" <<EOF
version: 1
site: { id: image-test }
mqtt: { urls: ["mqtt://127.0.0.1:1"] }
metrics: { host: 127.0.0.1, port: $metrics_port }
cameras:
  - id: still
    source: { url: "rtsp://127.0.0.1:1/nothing" }
    analyticsFps: 5
    zones:
      - id: frame
        polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]
    rules:
      - id: dog-bicycle-car
        type: zone_intrusion
        zone: frame
        labels: [dog, bicycle, car]
        minScore: 0.5
        minTrackAge: 0
        inertia: 1
        severity: low
EOF
  # the README: /etc/c5-agent must be readable by uid 10001 (mounted read-only)
  chmod 0755 "$dir" && chmod 0644 "$dir/site.yaml"
}

declare -A result
failures=0
check() {
  local arch=$1 name=$2 outcome=$3 detail=$4
  result["$arch/$name"]="$outcome: $detail"
  log "$arch: $name: $outcome ($detail)"
  [ "$outcome" = pass ] || failures=$((failures + 1))
}

test_arch() {
  local arch=$1 host
  host=$(host_arch)
  ensure_emulation "$arch"
  "$image_dir/makeBaseImage.sh" "$arch"
  [ "$arch" = "$host" ] || "$image_dir/makeBaseImage.sh" "$host"

  local image="localhost/c5-agent:image-test-$arch" started=$SECONDS
  log "$arch: building $image"
  # --format docker keeps the HEALTHCHECK (OCI drops it). --pull=never: the bases are local, and no
  # registry answers here. The platform arguments by hand: Debian 12's buildah (1.28) does not set
  # BUILDPLATFORM/BUILDARCH for FROM lines, and a stage's FROM --platform leaks into the next
  # stages unless each names its own; the values are the ones BuildKit gives by itself.
  if ! timeout 3600 podman build --format docker --pull=never --platform "linux/$arch" \
    --build-arg "BUILDPLATFORM=linux/$host" --build-arg "BUILDARCH=$host" --build-arg "TARGETPLATFORM=linux/$arch" \
    --build-arg "BASE_IMAGE=$(base_image_tag "$arch")" --build-arg "BUILD_BASE_IMAGE=$(base_image_tag "$host")" \
    "${secret_args[@]}" -f "$repo_root/Dockerfile.arm64" -t "$image" "$repo_root" >"$work/build-$arch.log" 2>&1; then
    tail -n 40 "$work/build-$arch.log" >&2
    check "$arch" build fail "podman build failed after $((SECONDS - started)) s"
    return
  fi
  local size
  size=$(podman image inspect --format '{{.Size}}' "$image")
  check "$arch" build pass "$((SECONDS - started)) s, $(numfmt --to=si "$size")B"
  result["$arch/size"]=$size

  local config_dir="$work/etc-$arch" port state="$run_id-state-$arch" name="$run_id-$arch"
  port=$(free_port)
  write_site_config "$config_dir" "$port"
  timeout 60 podman volume create "$state" >/dev/null
  volumes+=("$state")
  # Emulated only: qemu-user 7.2 shows the host's x86 /proc/cpuinfo, which onnxruntime's CPU
  # detection (cpuinfo) cannot parse on arm64 and crashes on (SIGSEGV as it loads). An arm64
  # board's own file stands in; a real arm64 box needs nothing of the kind.
  local emulation_args=()
  if [ "$arch" != "$host" ]; then
    for cpu in 0 1; do
      printf 'processor\t: %s\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n' "$cpu"
    done >"$work/cpuinfo-$arch"
    emulation_args=(-v "$work/cpuinfo-$arch:/proc/cpuinfo:ro")
  fi
  # The README's run flags; the shared model stands in for `models pull` (no internet here).
  containers+=("$name")
  started=$SECONDS
  timeout 120 podman run -d --name "$name" --platform "linux/$arch" --network host \
    --read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m \
    --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges --stop-timeout 15 \
    -e "C5_HEALTHCHECK_PORT=$port" -e C5_MODELS_DIR=/models \
    -v "$state:/var/lib/c5-agent" -v "$config_dir:/etc/c5-agent:ro" \
    -v "$model_dir:/models:ro" -v "$dog_jpg:/media/dog.jpg:ro" "${emulation_args[@]}" \
    "$image" >/dev/null

  local deadline=$((SECONDS + 120)) answered=''
  while ((SECONDS < deadline)); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" >"$work/healthz-$arch" 2>/dev/null; then
      answered=$((SECONDS - started))
      break
    fi
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
    sleep 0.5
  done
  if [ -n "$answered" ]; then
    check "$arch" healthz pass "answered $answered s after start: $(head -c 120 "$work/healthz-$arch")"
  else
    podman logs --tail 20 "$name" >&2 || true
    check "$arch" healthz fail "no answer within 120 s"
  fi

  # The engine calls a container unhealthy after --retries=3 failed checks in a row: so does this.
  local health try healthy=''
  for try in 1 2 3; do
    if health=$(timeout 60 podman healthcheck run "$name" 2>&1); then
      healthy=yes
      break
    fi
  done
  if [ -n "$healthy" ]; then
    check "$arch" healthcheck pass "${health:-healthy} (try $try of 3)"
  else
    check "$arch" healthcheck fail "podman healthcheck run, 3 tries: ${health:-no output}"
  fi

  local machine
  machine=$(timeout 60 podman exec "$name" uname -m 2>&1) || true
  if [ "$machine" = "$(uname_machine "$arch")" ]; then check "$arch" uname pass "$machine"; else check "$arch" uname fail "uname -m said '$machine'"; fi

  detect_check "$arch" "$name"

  started=$SECONDS
  local code=''
  if timeout 30 podman kill --signal TERM "$name" >/dev/null; then
    code=$(timeout 10 podman wait "$name" 2>/dev/null) || code=''
  fi
  local stopped=$((SECONDS - started))
  if [ "$code" = 0 ]; then
    check "$arch" sigterm pass "exited 0 in $stopped s"
  else
    podman logs --tail 20 "$name" >&2 || true
    check "$arch" sigterm fail "exit code '${code:-still running after 10 s}'"
  fi
}

# Through the CLI in the running container: the image's ffmpeg loops dog.jpg into a 2 s lossless
# clip, `c5-agent replay` runs the shared model over it, and its decisions must name a dog, a
# bicycle and a car (what the model finds in that photo: test/integration/inference).
detect_check() {
  local arch=$1 name=$2 started=$SECONDS
  if ! timeout 300 podman exec "$name" sh -c \
    'ffmpeg -v error -y -loop 1 -framerate 5 -t 2 -i /media/dog.jpg -c:v ffv1 -pix_fmt bgr0 /tmp/dog.mkv &&
     c5-agent replay -c /etc/c5-agent/site.yaml --input /tmp/dog.mkv --out /tmp/decisions.jsonl >/dev/null &&
     cat /tmp/decisions.jsonl' >"$work/decisions-$arch.jsonl" 2>"$work/detect-$arch.log"; then
    tail -n 20 "$work/detect-$arch.log" >&2
    check "$arch" detect fail "replay failed"
    return
  fi
  local labels
  labels=$(node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
    console.log([...new Set(lines.map((l) => JSON.parse(l).object.label))].sort().join(","));
  ' "$work/decisions-$arch.jsonl")
  if [ "$labels" = bicycle,car,dog ]; then
    check "$arch" detect pass "$labels in $((SECONDS - started)) s"
  else
    check "$arch" detect fail "found '$labels', expected bicycle,car,dog"
  fi
}

for arch in "${archs[@]}"; do test_arch "$arch"; done

echo
echo "image test summary"
for arch in "${archs[@]}"; do
  for name in build healthz healthcheck uname detect sigterm; do
    printf '  %-6s %-12s %s\n' "$arch" "$name" "${result["$arch/$name"]:-not run}"
    [ -n "${result["$arch/$name"]:-}" ] || failures=$((failures + 1))
  done
done
if ((failures)); then
  echo "image test: $failures check(s) failed or did not run"
  exit 1
fi
echo "image test: all checks passed"
