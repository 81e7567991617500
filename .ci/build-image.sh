#!/usr/bin/env bash
# Builds the jwtgate image with podman on a machine that reaches no image registry (only
# Debian's apt and the npm registry), the way CI and the tests do:
#   .ci/build-image.sh [tag]          (default localhost/jwtgate:dev)
# The Containerfile's FROM lines name official images; here they are replaced (--build-arg) by
# local equivalents, made once and kept in podman's store:
#   localhost/bookworm-base:1   debian:bookworm-slim's equivalent, from Debian's packages (mmdebstrap)
#   localhost/node-base:<v>     that plus Node.js (the repository's pinned `node` package) and npm,
#                               node:24-bookworm-slim's equivalent
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-localhost/jwtgate:dev}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/.ci/containers.conf}"

need=()
for tool in podman buildah runc mmdebstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if ((${#need[@]})); then
  echo "image: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

base=localhost/bookworm-base:1
if ! podman image exists "$base"; then
  echo "image: making $base with mmdebstrap (about a minute)"
  rootfs="$(mktemp -d)/rootfs.tar"
  # Like the official slim image: no documentation, manual pages or translations.
  mmdebstrap --variant=apt --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    bookworm "$rootfs" >/dev/null 2>&1
  podman import --quiet "$rootfs" "$base" >/dev/null
  rm -rf "$(dirname "$rootfs")"
fi

node_bin="node_modules/node/bin/node"
[[ -x $node_bin ]] || { echo "image: $node_bin missing: run npm ci first" >&2; exit 1; }
node_version="$("$node_bin" --version)"
node_base="localhost/node-base:${node_version#v}"
if ! podman image exists "$node_base"; then
  echo "image: making $node_base"
  ctx="$(mktemp -d)"
  cp "$node_bin" "$ctx/node"
  # npm as the machine has it (the official Node.js image ships its own npm the same way).
  cp -r "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$ctx/npm"
  # The certificate authorities this machine's npm trusts (an egress proxy may sign the
  # registry's certificate): the build stage reaches the registry as the machine does. Only the
  # build stage starts from this image; the runtime image does not carry them.
  cafile="$(npm config get cafile 2>/dev/null || true)"
  [[ -f $cafile ]] || cafile="${NODE_EXTRA_CA_CERTS:-}"
  if [[ -f $cafile ]]; then cp "$cafile" "$ctx/ca.crt"; else : >"$ctx/ca.crt"; fi
  cat >"$ctx/Containerfile" <<CONTAINERFILE
FROM $base
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca.crt /usr/local/share/jwtgate-build/ca.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/jwtgate-build/ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CONTAINERFILE
  podman build --quiet --runtime runc --isolation chroot --network host -t "$node_base" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

echo "image: building $tag"
podman build --runtime runc --isolation chroot --network host --format docker \
  --build-arg NODE_IMAGE="$node_base" --build-arg RUNTIME_IMAGE="$base" \
  --build-arg VERSION="$(node -p "require('./packages/jwtgate/package.json').version" 2>/dev/null || echo dev)" \
  -t "$tag" -f Containerfile .
podman image inspect "$tag" --format 'image: {{.Id}} {{.Size}} bytes'
