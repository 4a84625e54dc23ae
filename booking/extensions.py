"""Flask extensions, created unbound and initialised in ``create_app``."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
migrate = Migrate()
