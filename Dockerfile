# One image for web, worker, beat and migrate (compose.yaml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PARLEY_HOST=0.0.0.0 \
    PARLEY_PORT=8000 \
    PYTHONUNBUFFERED=1 \
    PARLEY_VAR_DIR=/app/var

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic only needs settings to import: a throwaway key, DEBUG off as in production.
RUN SECRET_KEY=collectstatic-only DEBUG=0 WHITENOISE_USE_FINDERS=0 \
    python manage.py collectstatic --no-input

RUN useradd --create-home parley && mkdir -p /app/var && chown -R parley /app/var
USER parley
EXPOSE 8000
CMD ["python", "-m", "project.serve"]
