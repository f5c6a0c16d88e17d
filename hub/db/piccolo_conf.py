"""Piccolo's configuration module: the engine and the app registry, from settings."""

from piccolo.conf.apps import AppRegistry

from hub.db.engine import create_engine
from hub.settings import load_settings

DB = create_engine(load_settings())

APP_REGISTRY = AppRegistry(apps=["hub.db.piccolo_app"])
