# Cluetrain for self-hosters: one image for the web server, the workers and the listeners.
#   docker build -t cluetrain .
#   docker run -p 8000:8000 -v cluetrain:/var/lib/cluetrain cluetrain      # SQLite, one machine
# compose.yaml runs the scale-out set (PostgreSQL, Redis, web, worker, listen, optional MinIO).
FROM python:3.11-slim

# postgresql-client: pg_dump and pg_restore for `cluetrain backup` and `restore` on PostgreSQL
# (Debian 12's are version 15; they can read a PostgreSQL server of version 15 or older).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLUETRAIN_DATA_DIR=/var/lib/cluetrain

RUN useradd --system --create-home --home-dir /home/cluetrain --uid 10001 cluetrain \
    && mkdir -p /var/lib/cluetrain && chown cluetrain:cluetrain /var/lib/cluetrain

WORKDIR /app
# The exact versions CI tested (requirements/base.lock), then Cluetrain itself without resolving.
COPY requirements/base.lock requirements/base.lock
RUN pip install --no-deps -r requirements/base.lock
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install --no-deps . && rm -rf /app/src /app/build

USER cluetrain
# Static files are collected into the data folder at build time (a new named volume starts with
# them) and again by `cluetrain serve` on every start, so an upgrade never serves old ones.
RUN cluetrain collectstatic --no-input -v 0 \
    && rm -f /var/lib/cluetrain/secret_key /var/lib/cluetrain/encryption_key
VOLUME /var/lib/cluetrain
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

ENTRYPOINT ["cluetrain"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
