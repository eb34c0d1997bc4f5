# leadsieve: docker build -t leadsieve . && docker run -e BOT_TOKEN=... -v leadsieve-data:/data leadsieve
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# What a build reads (tests/packaging/venvs.py lists the same).
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY locales ./locales
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/leadsieve.sqlite3 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080

# Only the installed package: it carries its migrations, catalogs and bundled checklists,
# so no source tree is needed (or used) at run time.
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /app --create-home leadsieve \
    && mkdir -p /data && chown leadsieve /data

WORKDIR /app
USER leadsieve
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('WEB_PORT', '8080'), timeout=4)" || exit 1

CMD ["python", "-m", "bot"]
