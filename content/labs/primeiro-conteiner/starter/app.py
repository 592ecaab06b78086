"""Uma aplicação web Python simples, para você colocar num contêiner."""

import os
import platform

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def inicio():
    return jsonify(mensagem="Olá do contêiner!", python=platform.python_version())


@app.get("/saude")
def saude():
    return jsonify(status="ok")


if __name__ == "__main__":
    # Servidor de desenvolvimento, só para testes locais.
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")))
