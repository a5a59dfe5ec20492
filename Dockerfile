# sla in a container. Build from the repository's top:
#
#   docker build -t sla-engine .                              # sla and its bundled policies
#   docker build -t sla-engine --build-arg EXTRAS=serve .     # plus the HTTP service (`sla serve`)
#
# Run it on a policy repository mounted at /work (the working directory): `sla` finds
# /work/policies the way it finds policies/ anywhere (--policies, $SLA_POLICIES, a
# policies/ folder here or above, else the bundled policies):
#
#   docker run --rm -v "$PWD:/work" sla-engine lint
#   docker run --rm -v "$PWD:/work" sla-engine test --format junit > sla-tests.xml
#   docker run --rm -v "$PWD:/work" -p 8080:8080 sla-engine serve ...   # with EXTRAS=serve
#
# Podman reads this file as it is (`podman build -t sla-engine .`).
FROM python:3.11-slim

# Extras of pyproject.toml to install, comma-separated: serve (`sla serve`), live (`sla watch`).
ARG EXTRAS=""

WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY policies ./policies
COPY schemas ./schemas
COPY mappings ./mappings
RUN python -m pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}" \
 && cd / && rm -rf /src \
 && useradd --create-home --uid 10001 sla

USER sla
WORKDIR /work
EXPOSE 8080
ENTRYPOINT ["sla"]
CMD ["--help"]
