"""The EPA HTTP API: an application factory in the style of Flask's tutorial."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from flask_smorest import Api

from api import config, db, errors, metrics
from api.routes import analyze, departments, employees, health, ingest, models, retrain
from api.schemas import ErrorResponseSchema


class EpaApi(Api):
    """flask-smorest, with its HTTP errors in EPA's one error shape."""

    ERROR_SCHEMA = ErrorResponseSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # keep fields in the documented order
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    CORS(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}})
    api = EpaApi(app)
    for module in (health, ingest, employees, departments, models, retrain, analyze):
        api.register_blueprint(module.blp)
    errors.register(app)
    metrics.init_app(app, api)
    return app
