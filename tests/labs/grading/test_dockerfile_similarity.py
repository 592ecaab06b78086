"""A Dockerfile as the similarity pages compare it: what does not change the image does not
change the score either; Dockerfiles that build different things score low."""

from common.similarity import jaccard
from labs.grading.similarity import dockerfile_lines, submission_shingles

ORIGINAL = """\
# Imagem da API
FROM python:3.11-slim AS base
WORKDIR /app
RUN apt-get update \\
    && apt-get install -y --no-install-recommends curl git libgomp1 \\
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt flask gunicorn
ENV PORT=5000 APP_ENV=producao
LABEL maintainer="ana@example.org" version="1.0"
COPY . .
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]
"""

# The same image: other comments, spacing, case, continuation lines, package and pair order,
# quoting, and CMD in shell form.
DISGUISED = """\
from   python:3.11-slim   as BASE

# diretório de trabalho
workdir /app
run apt-get update && apt-get install -y git libgomp1 curl --no-install-recommends && rm -rf /var/lib/apt/lists/*
copy requirements.txt .
# dependências
RUN pip install gunicorn -r requirements.txt --no-cache-dir flask
ENV APP_ENV="producao" PORT=5000
LABEL version=1.0 \\
      maintainer=ana@example.org
COPY . .
EXPOSE 5000
CMD gunicorn --bind 0.0.0.0:5000 app:app
"""

NGINX = """\
FROM nginx:1.27-alpine
RUN apk add --no-cache bash tzdata
COPY site/ /usr/share/nginx/html/
COPY nginx.conf /etc/nginx/conf.d/default.conf
HEALTHCHECK CMD wget -qO- http://localhost/ || exit 1
USER nginx
"""


def compared(text: str, starter: dict[str, bytes] | None = None) -> frozenset[str]:
    return submission_shingles({"Dockerfile": text.encode()}, starter=starter or {})


def test_comments_spacing_case_and_order_do_not_count():
    assert dockerfile_lines(ORIGINAL) == dockerfile_lines(DISGUISED)
    assert jaccard(compared(ORIGINAL), compared(DISGUISED)) == 1.0


def test_canonical_lines_read_as_the_instructions_do():
    lines = dockerfile_lines(ORIGINAL)
    assert lines[0] == "FROM python:3.11-slim AS base"
    assert lines[2] == (
        "RUN apt-get update && apt-get install --no-install-recommends -y curl git libgomp1 && rm -rf /var/lib/apt/lists/*"
    )
    assert "RUN pip install --no-cache-dir -r requirements.txt flask gunicorn" in lines
    assert "ENV APP_ENV=producao PORT=5000" in lines
    assert "LABEL maintainer=ana@example.org version=1.0" in lines
    assert lines[-1] == "CMD gunicorn --bind 0.0.0.0:5000 app:app"
    # An && chain keeps its order: updating after installing is another Dockerfile.
    swapped = dockerfile_lines("FROM x\nRUN apt-get install -y curl && apt-get update\n")
    assert swapped[1] == "RUN apt-get install -y curl && apt-get update"


def test_different_dockerfiles_score_low():
    assert jaccard(compared(ORIGINAL), compared(NGINX)) < 0.1


def test_one_changed_package_changes_the_score_a_little():
    changed = ORIGINAL.replace("flask gunicorn", "fastapi uvicorn")
    assert 0.6 < jaccard(compared(ORIGINAL), compared(changed)) < 1.0


def test_lines_of_the_starter_are_not_compared():
    starter = {"Dockerfile": b"FROM python:3.11-slim AS base\nWORKDIR /app\nCOPY . .\nEXPOSE 5000\n"}
    kept = compared(ORIGINAL, starter)
    assert kept and not any("WORKDIR" in shingle or "EXPOSE" in shingle for shingle in kept)
    # A submission that is the starter, however respaced, has nothing of its own.
    assert compared("from python:3.11-slim as base\n\nworkdir   /app\nCOPY . .\nEXPOSE 5000\n", starter) == frozenset()


def test_other_files_count_line_by_line_and_binaries_by_digest():
    starter = {"app.py": b"print('ola')\n", "modelo.bin": b"\x00\x01"}
    same_app = submission_shingles({"app.py": b"print('ola')\n", "modelo.bin": b"\x00\x01"}, starter=starter)
    assert same_app == frozenset()
    mine = submission_shingles({"app.py": b"print('ola')\nimport os\n", "modelo.bin": b"\x00\x02"}, starter=starter)
    assert any(s.startswith("app.py\x1f") for s in mine) and any(s.startswith("modelo.bin\x1fsha256:") for s in mine)


def test_unparsable_and_hostile_dockerfiles_are_still_compared():
    broken = 'FROM python:3.11\nRUN echo \'unterminated\nCMD ["a",\n'
    assert dockerfile_lines(broken)
    huge = "FROM python:3.11\n" + "RUN echo " + "x" * 1_000_000 + "\n"
    assert compared(huge)  # read up to its first 64 KB, without failing
