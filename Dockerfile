# Dockerfile - one image with both servers, /usr/local/bin/stateless and
# /usr/local/bin/stateful, built from source and run as UID 10001.
#
#   podman build -t localhost/statelab:dev .       (or docker build)
#   podman run --rm -p 127.0.0.1:8081:8081 localhost/statelab:dev
#   podman run --rm -p 127.0.0.1:8082:8082 -v statelab-data:/data \
#       localhost/statelab:dev stateful --listen 0.0.0.0:8082
#
# The default command is the stateless server on 0.0.0.0:8081.  The
# Kubernetes manifests (k8s/) choose the binary with `command:` and set
# STATELAB_LISTEN, STATELAB_DB and the drain timings through the environment.
# The root file system can be read-only: the stateful server writes only
# under /data (its database, STATELAB_DB=/data/stateful.db) and SQLite may
# use /tmp.
#
# BASE_IMAGE may name any Debian bookworm image; tests/k8s/image-test builds
# one with debootstrap when no registry can be reached.

ARG BASE_IMAGE=debian:bookworm-slim

# ---- build ---------------------------------------------------------------
FROM ${BASE_IMAGE} AS build

# The Makefile's DEPS_BUILD, plus libc6-dev: gcc only recommends it, and
# recommends are not installed here.
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev make pkg-config \
        libevent-dev libjansson-dev libjwt-dev libsqlite3-dev uthash-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads: see .dockerignore.
COPY . .
RUN make build O=/tmp/obj B=/out/bin \
    && /out/bin/stateless --version && /out/bin/stateful --version

# The runtime packages are the ones that own the shared libraries the two
# binaries link, so this list cannot drift from the Makefile's.
RUN ldd /out/bin/stateless /out/bin/stateful \
        | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u \
        | while read -r lib; do dpkg -S "*/${lib##*/}"; done \
        | cut -d: -f1 | sort -u > /out/runtime-packages \
    && echo "runtime packages:" $(cat /out/runtime-packages)

# ---- runtime -------------------------------------------------------------
FROM ${BASE_IMAGE}

ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
    && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages

COPY --from=build /out/bin/stateless /out/bin/stateful /usr/local/bin/

# A fixed numeric user, so that Kubernetes' runAsNonRoot can verify it and
# volumes can be prepared for it (fsGroup 10001 in k8s/).  /data is owned by
# it for a fresh volume that takes its ownership from the image.
RUN groupadd --system --gid 10001 statelab \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin statelab \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && if ldd /usr/local/bin/stateless /usr/local/bin/stateful | grep 'not found'; \
        then exit 1; fi

ENV STATELAB_DB=/data/stateful.db
WORKDIR /data
USER 10001:10001
EXPOSE 8081 8082
STOPSIGNAL SIGTERM
CMD ["stateless", "--listen", "0.0.0.0:8081"]

LABEL org.opencontainers.image.title="statelab" \
      org.opencontainers.image.description="stateless vs stateful HTTP session servers, for teaching" \
      org.opencontainers.image.licenses="MIT"
