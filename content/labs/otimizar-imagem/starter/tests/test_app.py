from app import app


def test_resumo():
    resposta = app.test_client().get("/")
    assert resposta.status_code == 200
    assert set(resposta.get_json()["media_sepala"]) == {"setosa", "versicolor", "virginica"}
