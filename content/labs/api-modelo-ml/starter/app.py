"""API de previsão: serve o modelo treinado (Iris) com Flask.

Em produção, rode com gunicorn: gunicorn --bind 0.0.0.0:5000 app:app
"""

from pathlib import Path

import joblib
import numpy as np
from flask import Flask, jsonify, request

MODELO = joblib.load(Path(__file__).with_name("modelo.joblib"))
ESPECIES = ["setosa", "versicolor", "virginica"]
USO = 'Envie JSON no formato {"features": [comprimento_sepala, largura_sepala, comprimento_petala, largura_petala]}'

app = Flask(__name__)


@app.get("/saude")
def saude():
    return jsonify(status="ok")


@app.post("/predict")
def predict():
    dados = request.get_json(silent=True)
    features = dados.get("features") if isinstance(dados, dict) else None
    if not (
        isinstance(features, list)
        and len(features) == 4
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in features)
    ):
        return jsonify(erro=USO), 400
    entrada = np.array([features], dtype=float)
    classe = int(MODELO.predict(entrada)[0])
    probabilidades = [round(float(p), 4) for p in MODELO.predict_proba(entrada)[0]]
    return jsonify(classe=classe, especie=ESPECIES[classe], probabilidades=probabilidades)


if __name__ == "__main__":
    # Servidor de desenvolvimento, só para testes locais.
    app.run(host="0.0.0.0", port=5000)
