# vfw as a container image: `vfw run` on the container's interfaces, one firewall per container
# (docs/container.md; examples/containerlab/ for a lab of them).
#
#   docker build -t vfw .            (or: podman build -t vfw .)
#
# The build stage compiles the binary alone (no tests, no benchmarks); the runtime stage is
# Debian with the libraries it links and iproute2, and the entry point that waits for the
# interfaces containerlab attaches after the container has started.
# --build-arg BASE_IMAGE=...: another Debian 12 image (a local mirror's).
ARG BASE_IMAGE=debian:12
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake g++ make pkg-config libssl-dev libcli11-dev catch2 libedit-dev libpcap-dev \
      libre2-dev libyaml-cpp-dev libboost-dev libssh-dev libnftnl-dev libmnl-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DVFW_BENCHMARKS=OFF \
 && cmake --build /build --target vfw -j"$(nproc)"

FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libedit2 libpcap0.8 libre2-9 libyaml-cpp0.7 libssh-4 libnftnl11 libmnl0 \
      iproute2 procps \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/vfw /usr/local/bin/vfw
COPY scripts/vfw-node /usr/local/bin/vfw-node
# The SSH host key and the device key live here: mount a volume to keep them across containers.
ENV HOME=/var/lib/vfw
RUN mkdir -p /var/lib/vfw && chmod 700 /var/lib/vfw
EXPOSE 22
# Healthy once the device answers its CLI, which vfw run opens after binding its interfaces:
# containerlab's `wait-for` and `stage: healthy` wait on it.
HEALTHCHECK --interval=5s --timeout=4s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/vfw-node", "--health"]
ENTRYPOINT ["/usr/local/bin/vfw-node"]
# No arguments: /config/startup.cfg (or $VFW_STARTUP_CONFIG) on eth1..eth$CLAB_INTFS.
CMD []
