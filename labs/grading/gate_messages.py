"""The static gate's messages, in Brazilian Portuguese (the default) and English."""

from .i18n import register

_BUILDKIT_NOTE_PT = "este laboratório constrói com o construtor clássico do Docker 20.10 (sem BuildKit)"
_BUILDKIT_NOTE_EN = "this lab builds with the classic builder of Docker 20.10 (no BuildKit)"

register({
    "gate.empty": {
        "pt-BR": "O Dockerfile está vazio: comece com uma instrução FROM (ex.: FROM python:3.11-slim).",
        "en": "The Dockerfile is empty: start with a FROM instruction (e.g. FROM python:3.11-slim).",
    },
    "gate.too_many_bytes": {
        "pt-BR": "O Dockerfile tem {size} bytes; o limite é {max} bytes. Envie só o Dockerfile, sem colar outros arquivos nele.",
        "en": "The Dockerfile has {size} bytes; the limit is {max} bytes. Send only the Dockerfile, without pasting other files into it.",
    },
    "gate.too_many_lines": {
        "pt-BR": "O Dockerfile tem {lines} linhas; o limite é {max} linhas.",
        "en": "The Dockerfile has {lines} lines; the limit is {max} lines.",
    },
    "gate.binary": {
        "pt-BR": "Linha {line}: o arquivo contém bytes de controle (como NUL), não parece um Dockerfile de texto. Envie o Dockerfile como texto puro.",
        "en": "Line {line}: the file contains control bytes (such as NUL) and does not look like a text Dockerfile. Send the Dockerfile as plain text.",
    },
    "gate.not_utf8": {
        "pt-BR": "Linha {line}: o Dockerfile não está em UTF-8. Salve o arquivo com a codificação UTF-8 e envie de novo.",
        "en": "Line {line}: the Dockerfile is not UTF-8. Save the file with UTF-8 encoding and send it again.",
    },
    "gate.unreadable": {
        "pt-BR": "Não foi possível ler este Dockerfile ({error}). Confira se é um Dockerfile de texto válido.",
        "en": "This Dockerfile could not be read ({error}). Check that it is a valid text Dockerfile.",
    },
    "gate.no_from": {
        "pt-BR": "Nenhuma instrução FROM encontrada: todo Dockerfile começa definindo a imagem base (ex.: FROM python:3.11-slim).",
        "en": "No FROM instruction found: every Dockerfile starts by choosing the base image (e.g. FROM python:3.11-slim).",
    },
    "gate.before_from": {
        "pt-BR": "Linha {line}: a instrução {instruction} aparece antes do primeiro FROM; antes de FROM só é permitido ARG.",
        "en": "Line {line}: the {instruction} instruction comes before the first FROM; only ARG may come before FROM.",
    },
    "gate.from_not_allowed": {
        "pt-BR": "Linha {line}: a imagem base {image} não está disponível neste laboratório (o build não baixa imagens). Use uma destas: {allowed}.",
        "en": "Line {line}: the base image {image} is not available in this lab (the build downloads no images). Use one of: {allowed}.",
    },
    "gate.from_unresolved": {
        "pt-BR": "Linha {line}: em FROM {image}, a variável {variables} não tem valor. Declare-a com um valor padrão antes do primeiro FROM (ex.: ARG PY=3.11-slim).",
        "en": "Line {line}: in FROM {image}, the variable {variables} has no value. Declare it with a default before the first FROM (e.g. ARG PY=3.11-slim).",
    },
    "gate.from_invalid": {
        "pt-BR": "Linha {line}: '{image}' não é uma referência de imagem válida (ex.: FROM python:3.11-slim).",
        "en": "Line {line}: '{image}' is not a valid image reference (e.g. FROM python:3.11-slim).",
    },
    "gate.from_digest_only": {
        "pt-BR": "Linha {line}: FROM {image} identifica a imagem só pelo digest; use uma das tags permitidas: {allowed}.",
        "en": "Line {line}: FROM {image} names the image by digest only; use one of the allowed tags: {allowed}.",
    },
    "gate.from_platform": {
        "pt-BR": "Linha {line}: FROM --platform não é aceito aqui: o sandbox só tem as imagens preparadas para esta máquina. Remova a opção --platform.",
        "en": "Line {line}: FROM --platform is not accepted here: the sandbox only has the images prepared for this machine. Remove the --platform option.",
    },
    "gate.add_url": {
        "pt-BR": "Linha {line}: ADD com URL ({source}) não é permitido: o build roda sem rede. Coloque o arquivo no contexto de build e use COPY.",
        "en": "Line {line}: ADD with a URL ({source}) is not allowed: the build runs without network. Put the file in the build context and use COPY.",
    },
    "gate.source_outside_context": {
        "pt-BR": "Linha {line}: {instruction} {source} aponta para fora do contexto de build. Use caminhos relativos dentro do projeto, sem '/' no início e sem '..'.",
        "en": "Line {line}: {instruction} {source} points outside the build context. Use paths relative to the project, with no leading '/' and no '..'.",
    },
    "gate.copy_needs_destination": {
        "pt-BR": "Linha {line}: '{instruction} {value}' precisa de uma origem e de um destino, ex.: {instruction} . /app (ou {instruction} . . depois de WORKDIR /app).",
        "en": "Line {line}: '{instruction} {value}' needs a source and a destination, e.g. {instruction} . /app (or {instruction} . . after WORKDIR /app).",
    },
    "gate.copy_from_not_allowed": {
        "pt-BR": "Linha {line}: COPY --from={source} não é um estágio anterior deste Dockerfile nem uma imagem permitida ({allowed}). Dê um nome ao estágio (FROM ... AS builder) e use COPY --from=builder.",
        "en": "Line {line}: COPY --from={source} is neither an earlier stage of this Dockerfile nor an allowed image ({allowed}). Name the stage (FROM ... AS builder) and use COPY --from=builder.",
    },
    "gate.buildkit_directive": {
        "pt-BR": f"Linha {{line}}: a diretiva '# syntax=' pede um frontend do BuildKit, mas {_BUILDKIT_NOTE_PT}. Remova essa linha.",
        "en": f"Line {{line}}: the '# syntax=' directive asks for a BuildKit frontend, but {_BUILDKIT_NOTE_EN}. Remove that line.",
    },
    "gate.buildkit_flag": {
        "pt-BR": f"Linha {{line}}: '{{instruction}} {{flag}}' só funciona com BuildKit, e {_BUILDKIT_NOTE_PT}. Remova a opção {{flag}}.",
        "en": f"Line {{line}}: '{{instruction}} {{flag}}' only works with BuildKit, and {_BUILDKIT_NOTE_EN}. Remove the {{flag}} option.",
    },
    "gate.buildkit_chmod": {
        "pt-BR": f"Linha {{line}}: '{{instruction}} --chmod' só funciona com BuildKit, e {_BUILDKIT_NOTE_PT}. Remova --chmod e ajuste as permissões com RUN chmod depois do {{instruction}}.",
        "en": f"Line {{line}}: '{{instruction}} --chmod' only works with BuildKit, and {_BUILDKIT_NOTE_EN}. Remove --chmod and set permissions with RUN chmod after the {{instruction}}.",
    },
    "gate.heredoc": {
        "pt-BR": f"Linha {{line}}: heredoc ({{marker}}) em {{instruction}} só funciona com BuildKit, e {_BUILDKIT_NOTE_PT}. Escreva os comandos com && (quebrando linhas com \\) ou copie um arquivo do contexto.",
        "en": f"Line {{line}}: a heredoc ({{marker}}) in {{instruction}} only works with BuildKit, and {_BUILDKIT_NOTE_EN}. Chain the commands with && (breaking lines with \\) or copy a file from the context.",
    },
    "gate.parse_error": {
        "pt-BR": "Linha {line}: o Docker não consegue ler este Dockerfile ({error}). Confira a instrução dessa linha.",
        "en": "Line {line}: Docker cannot read this Dockerfile ({error}). Check the instruction on that line.",
    },
    "gate.stray_carriage_return": {
        "pt-BR": "Linha {line}: há um retorno de carro (CR) solto, fora de um fim de linha CRLF; versões do Docker leem essa linha de formas diferentes. Salve o arquivo com fins de linha LF (ou CRLF).",
        "en": "Line {line}: there is a lone carriage return (CR), outside a CRLF line end; Docker versions read that line differently. Save the file with LF (or CRLF) line ends.",
    },
    "gate.bad_substitution": {
        "pt-BR": "Linha {line}: o Docker não consegue expandir as variáveis de '{instruction}' ({error}). Use $NOME, ${{NOME}}, ${{NOME:-padrão}} ou ${{NOME:+alternativa}}, e feche as aspas.",
        "en": "Line {line}: Docker cannot expand the variables of '{instruction}' ({error}). Use $NAME, ${{NAME}}, ${{NAME:-default}} or ${{NAME:+alternative}}, and close the quotes.",
    },
    "gate.add_unresolved": {
        "pt-BR": "Linha {line}: a origem de ADD ({source}) depende de uma variável cujo valor só se sabe no build (pode vir da imagem base). Escreva o caminho literal do arquivo do contexto, de preferência com COPY.",
        "en": "Line {line}: the ADD source ({source}) depends on a variable whose value is only known at build time (it may come from the base image). Write the literal path of the context file, preferably with COPY.",
    },
    "gate.unknown_instruction": {
        "pt-BR": "Linha {line}: '{instruction}' não é uma instrução de Dockerfile. Confira a grafia (ex.: RUN, COPY, WORKDIR, CMD).",
        "en": "Line {line}: '{instruction}' is not a Dockerfile instruction. Check the spelling (e.g. RUN, COPY, WORKDIR, CMD).",
    },
    "gate.from_syntax": {
        "pt-BR": "Linha {line}: '{value}' não é um FROM válido. Escreva FROM imagem ou FROM imagem AS nome, com um nome que comece por letra e use só a-z, 0-9, '-', '_' e '.'.",
        "en": "Line {line}: '{value}' is not a valid FROM. Write FROM image or FROM image AS name, with a name that starts with a letter and uses only a-z, 0-9, '-', '_' and '.'.",
    },
    "gate.stage_name_used": {
        "pt-BR": "Linha {line}: o nome de estágio '{name}' já foi usado por um FROM anterior. Dê a cada estágio um nome diferente.",
        "en": "Line {line}: the stage name '{name}' is already used by an earlier FROM. Give each stage a different name.",
    },
})
