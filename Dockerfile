# cedp-bot: slim, non-root, SQLite on a volume by default; set CEDP_DATABASE_URL for PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CEDP_DATABASE_URL=sqlite+aiosqlite:////data/cedp.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
COPY storage ./storage
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app cedp \
    && mkdir /data && chown cedp /data

USER cedp
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"

# exec form: the Python process is PID 1 and receives SIGTERM, which `serve` handles cleanly.
STOPSIGNAL SIGTERM
CMD ["cedp-bot", "serve", "--host", "0.0.0.0", "--port", "8080"]
