"""Dockerfiles shared by the grading-engine tests."""

# The lesson's complete example ("Criando um Dockerfile para uma Aplicação de ML", parts 1 and 2), verbatim.
LESSON = """\
# Usa uma imagem base oficial do Python 3.9 em uma versão slim
FROM python:3.9-slim-buster

# Define o diretório de trabalho dentro do contêiner
WORKDIR /app

# Copia o arquivo de requisitos para o diretório de trabalho
COPY requirements.txt .

# Instala as dependências Python
RUN pip install --no-cache-dir -r requirements.txt

# ... (continuação do Dockerfile da página anterior)

# Copia todo o código da aplicação para o diretório de trabalho
# O '.' no final indica o diretório atual do contexto de build
COPY . .

# Expõe a porta em que a aplicação Flask irá rodar
EXPOSE 5000

# Comando para executar a aplicação quando o contêiner iniciar
# Usamos gunicorn para um servidor de produção mais robusto
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]
"""

LESSON_BASES = ["python:3.9-slim-buster"]

# Every practice of "Boas Práticas na Criação de Dockerfiles para ML" at once.
BEST = """\
# Estágio de build: instala as dependências num ambiente virtual
ARG PY=3.11-slim
FROM python:${PY} AS builder
WORKDIR /app
COPY requirements.txt .
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

# Estágio final: só o necessário para rodar, como usuário não-root
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \\
    TOKENIZERS_PARALLELISM=false
RUN apt-get update && apt-get install -y --no-install-recommends curl \\
    && rm -rf /var/lib/apt/lists/* \\
    && useradd --create-home appuser
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY . .
USER appuser
EXPOSE 5000
HEALTHCHECK CMD ["curl", "-f", "http://localhost:5000/"]
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]
"""

BEST_BASES = ["python:3.11-slim"]

APP_FILES = {"Dockerfile": b"", "app.py": b"from flask import Flask\n", "requirements.txt": b"flask\ngunicorn\n"}
