# Slim runtime image: the gateway only (Redis, when used, runs beside it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OCPI_GATEWAY__HTTP__HOST=0.0.0.0 \
    OCPI_GATEWAY__LOG__FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ocpi_gateway ./ocpi_gateway
COPY config ./config
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app gateway
USER 10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "ocpi_gateway"]
CMD ["serve", "--config", "config/gateway.toml"]
