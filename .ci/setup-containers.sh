#!/usr/bin/env bash
# Sets up rootful Podman as a Docker-API engine for testcontainers on a Debian CI machine, following
# shared/notes/containers.md: installs podman + runc, writes /etc/containers/containers.conf, builds
# a local NATS image from Debian's nats-server binary and starts the API socket in the background.
#
# Idempotent: each step runs only when its result is missing. On success it prints, on stdout only,
# the export line for the caller to eval (and writes it to --env-file PATH when given):
#
#   eval "$(bash .ci/setup-containers.sh)"
#
# Any failure prints the reason on stderr and exits 0 with nothing on stdout, so the caller's
# container suite is skipped with a printed reason instead of failing CI.
set -uo pipefail

SOCKET_PATH=/run/podman-enlace.sock
DOCKER_HOST_URL="unix://${SOCKET_PATH}"
PID_FILE=/run/podman-enlace.pid
SERVICE_LOG=/tmp/podman-enlace-service.log
IMAGE=localhost/nats:2.9.10
NATS_BIN=/usr/sbin/nats-server
CONF=/etc/containers/containers.conf
ENV_FILE=''

log() { printf 'setup-containers: %s\n' "$*" >&2; }
skip() {
  log "container backend NOT set up: $*"
  log 'the container test suite will be skipped (see its printed reason)'
  if [[ -n "$ENV_FILE" ]]; then
    # An old file from a previous run must not switch the suite on.
    rm -f -- "$ENV_FILE"
  fi
  exit 0
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --env-file)
      [[ $# -ge 2 ]] || skip '--env-file needs a path'
      ENV_FILE="$2"
      shift 2
      ;;
    --env-file=*)
      ENV_FILE="${1#--env-file=}"
      shift
      ;;
    *) skip "unknown argument: $1 (usage: setup-containers.sh [--env-file PATH])" ;;
  esac
done

[[ "$(id -u)" == 0 ]] || skip 'must run as root (rootful Podman, apt-get, /run socket)'
command -v apt-get >/dev/null 2>&1 || skip 'apt-get not found: this script is for Debian machines'

# --- packages ---------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[[ -x "$NATS_BIN" ]] || missing+=(nats-server)
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >&2 || skip 'apt-get update failed'
  timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    skip "apt-get install ${missing[*]} failed"
fi
for tool in podman runc curl; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is still missing after apt-get install"
done
[[ -x "$NATS_BIN" ]] || skip "$NATS_BIN is still missing after apt-get install nats-server"

# --- containers.conf --------------------------------------------------------------------------
# Podman's default ulimits exceed what these machines allow, and crun refuses their cgroup layout.
nofile="$(ulimit -Hn)"
[[ "$nofile" == unlimited ]] && nofile=1048576
wanted_conf="[containers]
default_ulimits = [\"nofile=${nofile}:${nofile}\", \"nproc=32768:32768\"]
[engine]
runtime = \"runc\""
conf_changed=0
if [[ "$(cat "$CONF" 2>/dev/null)" != "$wanted_conf" ]]; then
  log "writing $CONF (nofile=${nofile}, runtime=runc)"
  mkdir -p "$(dirname "$CONF")" || skip "cannot create $(dirname "$CONF")"
  printf '%s\n' "$wanted_conf" >"$CONF" || skip "cannot write $CONF"
  conf_changed=1
fi

# --- image ------------------------------------------------------------------------------------
if ! podman image exists "$IMAGE" 2>/dev/null; then
  log "building $IMAGE from $NATS_BIN"
  rootfs="$(mktemp -d)" || skip 'mktemp failed'
  tarball="$(mktemp --suffix=.tar)" || skip 'mktemp failed'
  trap 'rm -rf -- "$rootfs" "$tarball"' EXIT
  mkdir -p "$rootfs/tmp" "$rootfs/etc" && chmod 1777 "$rootfs/tmp" || skip 'cannot lay out the image root'
  cp "$NATS_BIN" "$rootfs/nats-server" || skip "cannot copy $NATS_BIN"
  # Copy exactly the shared libraries the binary links (libc and the loader on amd64), at their paths.
  libs="$(ldd "$NATS_BIN" 2>/dev/null | grep -oE '/[^ ]+' | sort -u)"
  [[ -n "$libs" ]] || skip "ldd found no libraries for $NATS_BIN"
  for lib in $libs; do
    mkdir -p "$rootfs$(dirname "$lib")" && cp -L "$lib" "$rootfs$lib" || skip "cannot copy $lib"
  done
  echo 'root:x:0:0:root:/:/nats-server' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -cf "$tarball" . || skip 'cannot pack the image root'
  timeout 120 podman import --change 'ENTRYPOINT ["/nats-server"]' --change 'EXPOSE 4222' \
    "$tarball" "$IMAGE" >&2 || skip "podman import of $IMAGE failed"
  rm -rf -- "$rootfs" "$tarball"
  trap - EXIT
fi

# A container must actually run: this catches runtime and cgroup problems here, with a clear reason.
version_out="$(timeout 60 podman run --rm --network=none "$IMAGE" --version 2>&1)" ||
  skip "podman run $IMAGE --version failed: ${version_out}"
log "container runs: ${version_out}"

# --- API socket -------------------------------------------------------------------------------
ping() { curl -sf --max-time 3 --unix-socket "$SOCKET_PATH" http://d/_ping 2>/dev/null | grep -q OK; }

if [[ "$conf_changed" == 1 && -f "$PID_FILE" ]]; then
  # A service started before the config changed would keep the old ulimits and runtime.
  old_pid="$(cat "$PID_FILE")"
  if [[ "$old_pid" =~ ^[0-9]+$ ]] && kill -0 "$old_pid" 2>/dev/null; then
    log "restarting the Podman API service (pid $old_pid) for the new $CONF"
    kill "$old_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f -- "$PID_FILE"
fi

# A service started from a directory since removed (an earlier clone of this repository) answers
# /_ping but fails every container start ("write child: broken pipe"): start a new one.
for old_pid in $(pgrep -f "podman system service --time=0 $DOCKER_HOST_URL" || true); do
  if [[ "$(readlink "/proc/$old_pid/cwd" 2>/dev/null)" == *"(deleted)" ]]; then
    log "restarting the Podman API service (pid $old_pid): its working directory was removed"
    kill "$old_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
    rm -f -- "$PID_FILE"
  fi
done

if ! ping; then
  rm -f -- "$SOCKET_PATH"
  log "starting podman system service on $DOCKER_HOST_URL (log: $SERVICE_LOG)"
  # setsid + redirections: the service must not hold the caller's terminal or $(...) pipe open.
  # From /, so that removing the directory CI ran in does not break the service for later runs.
  (cd / && exec setsid nohup podman system service --time=0 "$DOCKER_HOST_URL" </dev/null >>"$SERVICE_LOG" 2>&1) &
  echo $! >"$PID_FILE"
  for _ in $(seq 100); do
    ping && break
    sleep 0.1
  done
  ping || skip "the Podman API socket $SOCKET_PATH does not answer /_ping (see $SERVICE_LOG)"
fi
log "Podman API answers on $DOCKER_HOST_URL"

exports="export DOCKER_HOST=${DOCKER_HOST_URL} TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 ENLACE_NATS_IMAGE=${IMAGE}"
if [[ -n "$ENV_FILE" ]]; then
  printf '%s\n' "$exports" >"$ENV_FILE" || skip "cannot write $ENV_FILE"
  log "wrote $ENV_FILE"
fi
printf '%s\n' "$exports"
