#!/usr/bin/env bash
# Makes the base images the Dockerfile uses available to podman without any registry:
#   docker.io/library/debian:bookworm-slim and docker.io/library/debian:bookworm
# Both are the same debootstrap --variant=minbase rootfs, trimmed like the official slim image
# (no docs/man/locales, no apt lists or caches, dpkg path-exclude + apt docker-clean confs).
# Idempotent: images that `podman image exists` already are left alone (REBUILD=1 forces).
# Needs root (apt-get, debootstrap). Also writes the private CONTAINERS_CONF (podman-env.sh)
# and prints its path; other scripts:  . tests/container/podman-env.sh
#
# Env: SUITE (bookworm), MIRROR (default: parsed from /etc/apt/sources.list[.d], else
#      http://deb.debian.org/debian), SECURITY_MIRROR, REBUILD=1, KEEP_ROOTFS=1 (debugging).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

SUITE=${SUITE:-bookworm}
images=("docker.io/library/debian:$SUITE-slim" "docker.io/library/debian:$SUITE")
local_name="localhost/debian:$SUITE-minbase"

log() { printf 'base-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root (apt-get, debootstrap)"

# --- 1. tools -------------------------------------------------------------------------------
need=()
for p in podman runc debootstrap buildah; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  log "installing ${need[*]}"
  # never two apt/dpkg at once: wait (up to 15 min) for another apt-get to finish
  for _ in $(seq 90); do
    pgrep -x apt-get >/dev/null || pgrep -x apt >/dev/null || pgrep -x dpkg >/dev/null || break
    log "apt/dpkg is busy, waiting"; sleep 10
  done
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# shellcheck source=SCRIPTDIR/podman-env.sh
. "$here/podman-env.sh"
log "CONTAINERS_CONF=$CONTAINERS_CONF"

# --- 2. anything to do? -----------------------------------------------------------------------
missing=()
for img in "${images[@]}"; do
  if [[ ${REBUILD:-0} == 1 ]] || ! podman image exists "$img"; then missing+=("$img"); fi
done
if ((${#missing[@]} == 0)); then
  log "present: ${images[*]}"
  echo "CONTAINERS_CONF=$CONTAINERS_CONF"
  exit 0
fi
# one of the two exists (and no rebuild asked): just tag the other from it
if [[ ${REBUILD:-0} != 1 ]] && ((${#missing[@]} == 1)); then
  for img in "${images[@]}"; do
    if [[ $img != "${missing[0]}" ]]; then
      podman tag "$img" "${missing[0]}"
      log "tagged ${missing[0]} from $img"
      echo "CONTAINERS_CONF=$CONTAINERS_CONF"
      exit 0
    fi
  done
fi

# --- 3. mirror from the host's apt sources ----------------------------------------------------
# Prints the first URI of a "deb" source carrying suite $1, from one-line sources.list files
# and deb822 *.sources files. Skips cdrom:/file: URIs.
find_mirror() {
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    awk -v s="$suite" '
      $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    if ($(i+1) == s && $i ~ /^(https?|ftp):/) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    awk -v s="$suite" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && enabled != "no" && uri != "") { print uri; found = 1 }
                         types = suites = uri = enabled = "" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); if (found) exit; next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[ \t]+/, "")
        if (key == "types") types = $0
        else if (key == "suites") suites = $0
        else if (key == "enabled") enabled = tolower($0)
        else if (key == "uris") { split($0, u, /[ \t]+/); for (k in u) if (u[k] ~ /^(https?|ftp):/) { uri = u[k]; break } } }
      END { if (!found) flush() }' "$f"
  done
}
MIRROR=${MIRROR:-$(find_mirror "$SUITE" | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-$(find_mirror "$SUITE-security" | head -n1)}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
MIRROR=${MIRROR%/}; SECURITY_MIRROR=${SECURITY_MIRROR%/}
log "mirror $MIRROR, security $SECURITY_MIRROR"

# --- 4. debootstrap + trim ----------------------------------------------------------------
work=$(mktemp -d /var/tmp/taskmux-base.XXXXXX)
cleanup() { [[ ${KEEP_ROOTFS:-0} == 1 ]] && { log "kept $work"; return; }; rm -rf --one-file-system "$work"; }
trap cleanup EXIT
rootfs=$work/rootfs
t0=$SECONDS
log "debootstrap --variant=minbase $SUITE (about 30 s)"
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# apt sources like the official image (deb822), pointing at the same mirrors as the host
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

# what debuerreotype does for the official debian images (slimify + docker apt confs)
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
# keep docs, man pages and translations out of the image (like debian:*-slim)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
# no service starts inside image builds
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"; chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,info,groff,linda,lintian,locale}/* \
       "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
       "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old \
       "$rootfs"/var/log/apt/* "$rootfs"/var/log/dpkg.log "$rootfs"/var/log/bootstrap.log "$rootfs"/var/log/alternatives.log \
       "$rootfs"/tmp/* "$rootfs"/root/.bash_history
# host identity copied by debootstrap; podman provides its own at run time
: >"$rootfs/etc/resolv.conf"; echo localhost >"$rootfs/etc/hostname"; : >"$rootfs/etc/machine-id"
log "rootfs ready in $((SECONDS - t0)) s, $(du -sh --one-file-system "$rootfs" | cut -f1)"

# --- 5. import + tag ------------------------------------------------------------------------
tar --numeric-owner --xattrs -C "$rootfs" -c . \
  | podman import --quiet --change 'CMD ["/bin/bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$local_name" >/dev/null
for img in "${images[@]}"; do podman tag "$local_name" "$img"; done
log "imported $local_name as ${images[*]} in $((SECONDS - t0)) s total"
podman images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' | grep -F "debian:$SUITE" >&2 || true
echo "CONTAINERS_CONF=$CONTAINERS_CONF"
