"""Flask extensions, created unbound and initialised in ``create_app``."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
migrate = Migrate()
# Keyed by client address (the real one behind a proxy once PROXY_FIX_X_FOR is set). The limits
# themselves are in security.py; headers on, so a 429 carries Retry-After.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
