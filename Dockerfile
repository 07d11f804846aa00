# tgassist image for compose.yaml (docs/deploy.md). Not built in CI: this machine kind has no Docker engine.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY adapters ./adapters
COPY app ./app
COPY bot ./bot
COPY core ./core
COPY storage ./storage
COPY jobs ./jobs
COPY migrations ./migrations
RUN pip install '.[all]' && useradd --create-home tgassist && mkdir /data && chown tgassist /data
USER tgassist
ENV DATA_DIR=/data LOG_FORMAT=json
ENTRYPOINT ["tgassist"]
CMD ["run"]
