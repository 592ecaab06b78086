"""Serviço de resumo das medidas das flores (Iris), para otimizar a imagem."""

from statistics import mean

from flask import Flask, jsonify

MEDIDAS = {
    "setosa": [5.1, 4.9, 4.7, 4.6, 5.0],
    "versicolor": [7.0, 6.4, 6.9, 5.5, 6.5],
    "virginica": [6.3, 5.8, 7.1, 6.3, 6.5],
}

app = Flask(__name__)


@app.get("/")
def resumo():
    return jsonify(media_sepala={especie: round(mean(v), 2) for especie, v in MEDIDAS.items()})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
