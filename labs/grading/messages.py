"""Messages of the runner's own checks (build, metadata, http, command, file, image size)."""

from .i18n import register

register({
    "gate.no_dockerfile": {
        "pt-BR": "Nenhum Dockerfile foi enviado: o arquivo deve se chamar exatamente 'Dockerfile', na raiz do contexto.",
        "en": "No Dockerfile was submitted: the file must be named exactly 'Dockerfile', at the root of the context.",
    },
    "build.passed": {
        "pt-BR": "A imagem foi construída com sucesso.",
        "en": "The image was built successfully.",
    },
    "build.failed": {
        "pt-BR": "A construção da imagem falhou em: {step}. {reason}",
        "en": "The image build failed at: {step}. {reason}",
    },
    "check.skipped_build": {
        "pt-BR": "Não verificado: a imagem não foi construída.",
        "en": "Not checked: the image was not built.",
    },
    "check.skipped_container": {
        "pt-BR": "Não verificado: o contêiner não ficou em execução.",
        "en": "Not checked: the container did not stay running.",
    },
    "container.exited": {
        "pt-BR": "O contêiner parou logo após iniciar. Últimas linhas do log:\n{logs}",
        "en": "The container stopped right after starting. Last log lines:\n{logs}",
    },
    "metadata.passed": {
        "pt-BR": "Os metadados da imagem estão como esperado.",
        "en": "The image metadata is as expected.",
    },
    "metadata.user_root": {
        "pt-BR": "A imagem roda como root (USER '{user}'). Crie um usuário não-root e use a instrução USER.",
        "en": "The image runs as root (USER '{user}'). Create a non-root user and use the USER instruction.",
    },
    "metadata.port_missing": {
        "pt-BR": "A porta {port} não está exposta na imagem (EXPOSE {port}). Portas expostas: {found}.",
        "en": "Port {port} is not exposed by the image (EXPOSE {port}). Exposed ports: {found}.",
    },
    "metadata.cmd_missing": {
        "pt-BR": "O comando de início (CMD/ENTRYPOINT) não contém '{word}'. Encontrado: {found}.",
        "en": "The start command (CMD/ENTRYPOINT) does not contain '{word}'. Found: {found}.",
    },
    "metadata.workdir": {
        "pt-BR": "O diretório de trabalho é '{found}', esperado '{expected}' (WORKDIR).",
        "en": "The working directory is '{found}', expected '{expected}' (WORKDIR).",
    },
    "metadata.env": {
        "pt-BR": "A variável de ambiente {name} deveria valer '{expected}', mas vale '{found}'.",
        "en": "The environment variable {name} should be '{expected}', but is '{found}'.",
    },
    "metadata.label": {
        "pt-BR": "Falta o rótulo (LABEL) '{name}' na imagem.",
        "en": "The image lacks the label (LABEL) '{name}'.",
    },
    "metadata.healthcheck": {
        "pt-BR": "A imagem não declara um HEALTHCHECK.",
        "en": "The image declares no HEALTHCHECK.",
    },
    "http.passed": {
        "pt-BR": "{method} {path} na porta {port} respondeu {status} como esperado.",
        "en": "{method} {path} on port {port} answered {status} as expected.",
    },
    "http.no_answer": {
        "pt-BR": "Nada respondeu em {method} {path} na porta {port} após {seconds} s. A aplicação escuta em 0.0.0.0:{port}?",
        "en": "Nothing answered {method} {path} on port {port} after {seconds} s. Does the app listen on 0.0.0.0:{port}?",
    },
    "http.status": {
        "pt-BR": "{method} {path} respondeu {got}, esperado {expected}.",
        "en": "{method} {path} answered {got}, expected {expected}.",
    },
    "http.not_json": {
        "pt-BR": "{method} {path} não respondeu JSON válido.",
        "en": "{method} {path} did not answer valid JSON.",
    },
    "http.json_key": {
        "pt-BR": "A resposta JSON de {path} não tem a chave '{key}'.",
        "en": "The JSON answer of {path} lacks the key '{key}'.",
    },
    "http.json_value": {
        "pt-BR": "Na resposta de {path}, '{key}' vale {found}, esperado {expected}.",
        "en": "In the answer of {path}, '{key}' is {found}, expected {expected}.",
    },
    "http.regex": {
        "pt-BR": "A resposta de {path} não contém o texto esperado ({pattern}).",
        "en": "The answer of {path} lacks the expected text ({pattern}).",
    },
    "command.passed": {
        "pt-BR": "O comando '{command}' terminou como esperado.",
        "en": "The command '{command}' ended as expected.",
    },
    "command.exit": {
        "pt-BR": "O comando '{command}' terminou com código {got}, esperado {expected}.",
        "en": "The command '{command}' exited with code {got}, expected {expected}.",
    },
    "command.timeout": {
        "pt-BR": "O comando '{command}' não terminou em {seconds} s.",
        "en": "The command '{command}' did not finish within {seconds} s.",
    },
    "command.regex": {
        "pt-BR": "A saída de '{command}' não contém o esperado ({pattern}).",
        "en": "The output of '{command}' lacks what was expected ({pattern}).",
    },
    "command.reject": {
        "pt-BR": "A saída de '{command}' contém o que não deveria ({pattern}).",
        "en": "The output of '{command}' contains what it should not ({pattern}).",
    },
    "file.passed": {
        "pt-BR": "O arquivo {path} está como esperado.",
        "en": "The file {path} is as expected.",
    },
    "file.missing": {
        "pt-BR": "O arquivo {path} não existe na imagem.",
        "en": "The file {path} does not exist in the image.",
    },
    "file.present": {
        "pt-BR": "O arquivo {path} não deveria estar na imagem (use o .dockerignore ou um build multi-stage).",
        "en": "The file {path} should not be in the image (use .dockerignore or a multi-stage build).",
    },
    "file.regex": {
        "pt-BR": "O arquivo {path} não contém o esperado ({pattern}).",
        "en": "The file {path} lacks what was expected ({pattern}).",
    },
    "image_size.passed": {
        "pt-BR": "A imagem acrescenta {added} MB à base (limite: {limit} MB).",
        "en": "The image adds {added} MB to its base (limit: {limit} MB).",
    },
    "image_size.failed": {
        "pt-BR": "A imagem acrescenta {added} MB à base, acima do limite de {limit} MB. Use --no-cache-dir, .dockerignore e remova o que não é necessário.",
        "en": "The image adds {added} MB to its base, over the {limit} MB limit. Use --no-cache-dir, .dockerignore and remove what is not needed.",
    },
    "image_size.starter_passed": {
        "pt-BR": "A imagem tem {size} MB, {percent}% dos {starter} MB do ponto de partida (meta: até {goal}%).",
        "en": "The image is {size} MB, {percent}% of the starting point's {starter} MB (goal: at most {goal}%).",
    },
    "image_size.starter_failed": {
        "pt-BR": "A imagem tem {size} MB, {percent}% dos {starter} MB do ponto de partida; a meta é até {goal}%.",
        "en": "The image is {size} MB, {percent}% of the starting point's {starter} MB; the goal is at most {goal}%.",
    },
    "rules.failed_list": {
        "pt-BR": "{count} problema(s): {items}",
        "en": "{count} problem(s): {items}",
    },
    "summary.passed": {
        "pt-BR": "Aprovado: {score} de {max_score} pontos.",
        "en": "Passed: {score} of {max_score} points.",
    },
    "summary.failed": {
        "pt-BR": "Ainda não: {score} de {max_score} pontos. Veja o que mudar em cada verificação.",
        "en": "Not yet: {score} of {max_score} points. See what to change in each check.",
    },
    "summary.failed_required": {
        "pt-BR": "Ainda não: a verificação obrigatória '{check}' falhou ({score} de {max_score} pontos).",
        "en": "Not yet: the required check '{check}' failed ({score} of {max_score} points).",
    },
    "summary.rejected": {
        "pt-BR": "Envio recusado antes da construção (não conta como tentativa): {reason}",
        "en": "Submission refused before the build (not counted as an attempt): {reason}",
    },
    "summary.error": {
        "pt-BR": "Falha da plataforma ao avaliar (não é culpa sua; será tentado novamente).",
        "en": "The platform failed while grading (not your fault; it will be retried).",
    },
})
