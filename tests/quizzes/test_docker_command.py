"""Docker commands compared by meaning (parsing only: nothing is ever executed)."""

import pytest

from common import image_ref
from quizzes import docker_command
from quizzes.docker_command import (
    CommandParseError,
    Problem,
    compare_commands,
    describe,
    normalize_port,
    parse_docker_command,
)

EXPECTED = "docker run -d -p 8080:5000 minha-app-ml"


@pytest.mark.parametrize(
    "given",
    [
        "docker run -d -p 8080:5000 minha-app-ml",
        "docker run -p 8080:5000 -d minha-app-ml",
        "docker run --detach --publish=8080:5000 minha-app-ml",
        "docker run --detach --publish 8080:5000 minha-app-ml",
        "docker container run -dp 8080:5000 minha-app-ml",
        "docker run -d -p8080:5000 minha-app-ml",
        "$ docker run -d -p 0.0.0.0:8080:5000 minha-app-ml",  # all interfaces is docker's default
        "sudo docker run -d -p 8080:5000/tcp minha-app-ml:latest",  # tcp and :latest are defaults too
        "  docker   run -d \\\n  -p 8080:5000 docker.io/library/minha-app-ml",
        "docker run --detach=true -p 8080:5000 minha-app-ml",
    ],
)
def test_equivalent_forms(given):
    result = compare_commands(given, EXPECTED)
    assert result.equivalent, result.problems
    assert result.problems == []


def test_interactive_instead_of_detached():
    result = compare_commands("docker run -it -p 8080:5000 minha-app-ml", EXPECTED)
    assert not result.equivalent
    assert result.problems == [
        Problem("missing_flag", "--detach"),
        Problem("unexpected_flag", "--interactive"),
        Problem("unexpected_flag", "--tty"),
    ]
    assert describe(result.problems[0]) == "Falta a opção -d (--detach): o contêiner deve rodar em segundo plano."
    assert describe(result.problems[0], lang="en") == (
        "Option -d (--detach) is missing: the container must run in the background."
    )
    assert "-i (--interactive)" in describe(result.problems[1])


def test_wrong_subcommand_stops_there():
    result = compare_commands("docker start -d -p 8080:5000 minha-app-ml", EXPECTED)
    assert result.problems == [Problem("wrong_subcommand", expected="run", given="start")]
    message = describe(result.problems[0])
    assert "docker run" in message and "docker start" in message and "já existe" in message


def test_swapped_ports_are_a_wrong_value():
    result = compare_commands("docker run -d -p 5000:8080 minha-app-ml", EXPECTED)
    assert result.problems == [Problem("wrong_value", "--publish", "8080:5000", "5000:8080")]
    assert describe(result.problems[0]) == "A porta publicada deveria ser 8080:5000, mas foi 5000:8080."
    assert describe(result.problems[0], "en-US") == "The published port should be 8080:5000, but it was 5000:8080."


def test_missing_publish_names_the_value():
    result = compare_commands("docker run -d minha-app-ml", EXPECTED)
    assert result.problems == [Problem("missing_flag", "--publish", expected="8080:5000")]
    assert describe(result.problems[0]).startswith("Falta a opção -p (--publish) com o valor 8080:5000")


def test_wrong_image_and_extra_command():
    result = compare_commands("docker run -d -p 8080:5000 outra-app python app.py", EXPECTED)
    assert [p.code for p in result.problems] == ["wrong_image", "wrong_argument"]
    assert describe(result.problems[0]) == "A imagem deveria ser minha-app-ml, mas foi outra-app."
    assert result.problems[1].given == "python app.py"


def test_not_docker_and_parse_errors():
    assert compare_commands("podman run -d minha-app-ml", EXPECTED).problems == [
        Problem("not_docker", expected="docker", given="podman")
    ]
    bad_quote = compare_commands('docker run -d "minha-app-ml', EXPECTED).problems[0]
    assert (bad_quote.code, bad_quote.detail) == ("parse_error", "quoting")
    assert describe(bad_quote) == "O comando tem aspas sem fechamento."
    missing = compare_commands("docker run -d -p", EXPECTED).problems[0]
    assert describe(missing, "en") == "Option -p (--publish) needs a value."
    chained = compare_commands("docker run -d -p 8080:5000 minha-app-ml; rm -rf /", EXPECTED).problems[0]
    assert chained.detail == "chained"
    with pytest.raises(CommandParseError, match="aspas"):
        parse_docker_command("docker run 'x")
    with pytest.raises(CommandParseError, match="subcomando"):
        parse_docker_command("sudo docker")


@pytest.mark.parametrize("text", ['docker run "x', "", "podman run x", "docker run x && ls", "docker", "docker run -p"])
def test_a_parse_error_tells_the_author_what_describe_tells_the_learner(text):
    with pytest.raises(CommandParseError) as info:
        parse_docker_command(text)
    problem = compare_commands(text, EXPECTED).problems[0]
    assert problem.code in ("parse_error", "not_docker")
    for lang in ("pt-BR", "en"):
        assert info.value.text(lang) == describe(problem, lang)
    assert info.value.message == str(info.value) == describe(problem) != describe(problem, "en")


def test_parse_details():
    cmd = parse_docker_command(
        "docker run --rm -it --name=api -e A=1 --env B=2 -v dados:/data -p 80:80 -p 443:443 "
        "--network rede --restart unless-stopped --gpus=all python:3.11-slim python -c 'print(1)'"
    )
    assert cmd.subcommand == "run" and cmd.image == "python:3.11-slim"
    assert cmd.switches == ["--rm", "--interactive", "--tty"]
    assert cmd.options["--name"] == ["api"]
    assert cmd.options["--env"] == ["A=1", "B=2"]
    assert cmd.options["--publish"] == ["80:80", "443:443"]
    assert cmd.options["--restart"] == ["unless-stopped"]
    assert cmd.command == ["python", "-c", "print(1)"]
    assert cmd.unknown_flags == ["--gpus"]  # kept and reported, not fatal
    assert cmd.options["--gpus"] == ["all"]
    # an unknown flag written without "=" cannot be known to take a value: read as a switch
    unknown = parse_docker_command("docker run --gpus all img")
    assert (unknown.switches, unknown.image, unknown.command) == (["--gpus"], "all", ["img"])
    # flags after the image belong to the container's command, not to docker
    assert parse_docker_command("docker run img ls -d").switches == []


@pytest.mark.parametrize(
    "text, subcommand",
    [
        ("docker container ls -a", "ps"),
        ("docker ps", "ps"),
        ("docker image ls", "images"),
        ("docker images", "images"),
        ("docker image build -t x .", "build"),
        ("docker container stop api", "stop"),
        ("docker logs -f api", "logs"),
        ("docker image rm x", "rmi"),
        ("docker container exec -it api sh", "exec"),
        ("docker pull python:3.11", "pull"),
        ("docker push me/x:1", "push"),
        ("docker start api", "start"),
    ],
)
def test_subcommand_aliases(text, subcommand):
    assert parse_docker_command(text).subcommand == subcommand


@pytest.mark.parametrize(
    "given, expected",
    [
        ("docker build -t meu-modelo-ml:v1.0 .", "docker image build --tag meu-modelo-ml:v1.0 ./"),
        ("docker build -t a:1 -t a:latest .", "docker build --tag=a -t a:1 ."),  # tags as a set, :latest implied
        ("docker build -f docker/Dockerfile -t x .", "docker build -t x --file ./docker/Dockerfile ."),
        ("docker ps -aq", "docker container ls --all --quiet"),
        ("docker logs --follow --tail 10 api", "docker logs -f -n 10 api"),
        ("docker rm -f a b", "docker container rm --force b a"),
        ("docker stop -t 5 api", "docker container stop --time=5 api"),
        ("docker run -d -e B=2 -e A=1 -v x:/y img", "docker run -d --env A=1 --env B=2 --volume x:/y img"),
        ("docker exec -it api sh", "docker container exec -i -t api sh"),
        ("docker run --name=api -it --rm img", "docker run --rm -t -i --name api img"),
    ],
)
def test_equivalent_across_subcommands(given, expected):
    result = compare_commands(given, expected)
    assert result.equivalent, result.problems


def test_build_and_stop_value_problems():
    result = compare_commands("docker build -t app:v2 ..", "docker build -t app:v1 .")
    assert [p.code for p in result.problems] == ["wrong_value", "wrong_argument"]
    assert describe(result.problems[0]) == "A tag da imagem deveria ser app:v1, mas foi app:v2."
    assert describe(result.problems[1]) == "O contexto de build deveria ser ., mas foi ..."
    stop = compare_commands("docker stop api", "docker stop -t 5 api").problems
    assert stop == [Problem("missing_flag", "--time", expected="5")]


def test_wrong_name_names_the_container():
    result = compare_commands("docker run -d --name api2 img", "docker run -d --name api img")
    assert [describe(p) for p in result.problems] == ["O nome do contêiner deveria ser api, mas foi api2."]


def test_normalizers():
    assert normalize_port("0.0.0.0:8080:5000/tcp") == "8080:5000"
    assert normalize_port("127.0.0.1:8080:5000") == "127.0.0.1:8080:5000"
    assert normalize_port("8080:5000/UDP") == "8080:5000/udp"
    assert normalize_port("[::1]:8080:5000") == "[::1]:8080:5000"
    assert normalize_port("5000") == "5000"
    assert compare_commands("docker run docker.io/library/python", "docker run python:latest").equivalent
    assert compare_commands("docker run ghcr.io/me/app:1", "docker run ghcr.io/me/app:1").equivalent
    assert not compare_commands("docker run ghcr.io/me/app:1", "docker run me/app:1").equivalent
    assert compare_commands("docker run localhost:5000/app", "docker run localhost:5000/app:latest").equivalent


def test_image_references_are_read_by_the_one_parser():
    assert docker_command.parse_image_ref is image_ref.parse_image_ref
    digest = "sha256:" + "a" * 64
    same = [
        ("docker pull localhost:5000/team/app", "docker pull localhost:5000/team/app:latest"),
        (f"docker pull index.docker.io/library/python@{digest}", f"docker pull python@{digest}"),
        ("docker build -t library/app:v1 .", "docker build -t app:v1 ."),
        ("docker run registry-1.docker.io/library/python:3.11", "docker run python:3.11"),
    ]
    for given, expected in same:
        assert compare_commands(given, expected).equivalent, given
    # What Docker itself would refuse ("invalid reference format") never passes for a right
    # image: an invalid registry-with-port spelling, stacked Docker Hub prefixes, upper case.
    # The copy this parser replaced stripped prefixes as text and took the first two.
    different = [
        ("docker run docker.io/registry:5000/app", "docker run registry:5000/app"),
        ("docker run docker.io/index.docker.io/python", "docker run python"),
        ("docker run Python", "docker run python"),
        (f"docker pull python:3.11@{digest}", f"docker pull python@{digest}"),
    ]
    for given, expected in different:
        result = compare_commands(given, expected)
        assert [p.code for p in result.problems] == ["wrong_image"], given


def test_describe_falls_back_for_unknown_flags():
    result = compare_commands("docker run -d -p 8080:5000 --privileged minha-app-ml", EXPECTED)
    assert result.problems == [Problem("unexpected_flag", "--privileged")]
    assert describe(result.problems[0]) == "A opção --privileged não faz parte do comando esperado."
    assert describe(result.problems[0], "en") == "Option --privileged is not part of the expected command."


def test_describe_accepts_the_stored_dict_form():
    problem = compare_commands("docker run -p 8080:5000 minha-app-ml", EXPECTED).problems[0]
    stored = dict(problem.__dict__)  # what the answer keeps in its JSON feedback
    assert (
        describe(stored) == describe(problem) == "Falta a opção -d (--detach): o contêiner deve rodar em segundo plano."
    )
    assert (
        describe({"code": "parse_error", "flag": "", "expected": "", "given": "x"}) == "Não foi possível ler o comando."
    )
