"""The EPA HTTP API: an application factory in the style of Flask's tutorial."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from flask_smorest import Api, Blueprint
from marshmallow import RAISE

from api import (
    auth,
    config,
    db,
    errors,
    hostile_input,
    json_provider,
    limits,
    metrics,
    openapi,
    security_headers,
)
from api.routes import BLUEPRINTS, docs
from api.schemas.common import ErrorResponseSchema


class EpaApi(Api):
    """flask-smorest, with its HTTP errors in EPA's one error shape."""

    ERROR_SCHEMA = ErrorResponseSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    json_provider.init_app(app)
    app.json.sort_keys = False  # keep fields in the documented order
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    # Unknown query parameters are refused like unknown body fields (webargs drops them by
    # default): a misspelt filter such as ?teir=Low must not quietly answer for everybody.
    Blueprint.ARGUMENTS_PARSER.unknown = RAISE
    # Link: a browser frontend reads the next page of a list from it (api.pagination).
    CORS(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        expose_headers=["Link"],
    )
    # The bearer scheme that api.auth marks every /api/v1 operation with.
    app.config.setdefault("API_SPEC_OPTIONS", auth.SPEC_OPTIONS)
    plugins = [auth.BearerSecurityPlugin(), openapi.OperationIdPlugin()]
    api = EpaApi(app, spec_kwargs={"extra_plugins": plugins})
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)  # through Flask: the docs page is no operation
    errors.register(app)
    security_headers.init_app(app)
    metrics.init_app(app, api)
    # After metrics: a refused request is still timed and counted.
    auth.init_app(app)
    limits.init_app(app)  # after auth, before any body is read
    # After auth: an anonymous request is refused as such, whatever it carries.
    hostile_input.init_app(app)
    return app
