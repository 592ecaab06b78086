"""Treina o modelo de exemplo (Iris) e grava modelo.joblib.

Rode com as mesmas versões de requirements.txt, para que o modelo carregue no contêiner:
    pip install -r requirements.txt && python treinar.py
"""

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = load_iris(return_X_y=True)
X_treino, X_teste, y_treino, y_teste = train_test_split(X, y, test_size=0.2, random_state=45)
modelo = LogisticRegression(max_iter=500, random_state=45).fit(X_treino, y_treino)
print(f"acurácia no teste: {modelo.score(X_teste, y_teste):.3f}")
joblib.dump(modelo, "modelo.joblib")
