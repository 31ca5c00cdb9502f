# syntax=docker/dockerfile:1
# Two stages: build the wheel and its dependencies into a venv, then copy only the venv into a
# slim runtime image that runs as a non-root user.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY dispatch ./dispatch
COPY solvers ./solvers
COPY benchmarks ./benchmarks
RUN pip install --upgrade pip && pip wheel --no-deps -w /wheels . && pip install /wheels/*.whl

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DISPATCH_STORE=/var/lib/dispatch/dispatch.sqlite3
RUN groupadd --system dispatch \
    && useradd --system --gid dispatch --home-dir /nonexistent --no-create-home dispatch \
    && mkdir -p /var/lib/dispatch \
    && chown dispatch:dispatch /var/lib/dispatch
COPY --from=builder /opt/venv /opt/venv
USER dispatch
WORKDIR /var/lib/dispatch
VOLUME ["/var/lib/dispatch"]
EXPOSE 50051
# Health from inside the container: exit 0 iff the server reports SERVING.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["dispatch", "health", "--target", "127.0.0.1:50051"]
# SIGTERM (docker stop) triggers the graceful shutdown; keep docker's stop timeout above --grace.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dispatch", "serve"]
CMD ["--address", "0.0.0.0:50051"]
