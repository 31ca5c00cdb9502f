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
    DISPATCH_STORE=/var/lib/dispatch/dispatch.sqlite3 \
    DISPATCH_ADDRESS=0.0.0.0:50051
RUN groupadd --system dispatch \
    && useradd --system --gid dispatch --home-dir /nonexistent --no-create-home dispatch \
    && mkdir -p /var/lib/dispatch \
    && chown dispatch:dispatch /var/lib/dispatch
COPY --from=builder /opt/venv /opt/venv
USER dispatch
WORKDIR /var/lib/dispatch
VOLUME ["/var/lib/dispatch"]
EXPOSE 50051
# Health from inside the container: exit 0 iff the server reports SERVING. Health needs no token;
# with TLS set DISPATCH_CA (and DISPATCH_TLS_SERVER_NAME when the certificate does not name
# 127.0.0.1), with mTLS also DISPATCH_CLIENT_CERT and DISPATCH_CLIENT_KEY: `dispatch health`
# reads them from the container's environment.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["dispatch", "health", "--target", "127.0.0.1:50051"]
# SIGTERM (docker stop) triggers the graceful shutdown; keep docker's stop timeout above --grace.
STOPSIGNAL SIGTERM
# Secure by default: the container listens on every interface (DISPATCH_ADDRESS above), so the
# server refuses to start unless it is given TLS and authentication, e.g.
#   -e DISPATCH_TLS_CERT=/run/secrets/server.pem -e DISPATCH_TLS_KEY=/run/secrets/server.key
#   -e DISPATCH_AUTH_TOKENS=/run/secrets/tokens   (or DISPATCH_JWT_KEYS=/run/secrets/jwks.json)
# No `--insecure` here on purpose: an image that serves plaintext without tokens by default ends
# up on a city network that way. A local trial opts in explicitly: `docker run ... --insecure`
# (or -e DISPATCH_INSECURE=1), as does a deployment whose proxy does TLS and authentication.
ENTRYPOINT ["dispatch", "serve"]
CMD []
