"""Who runs the service: the operator of the personal data, named on every page, e-mail and consent.

A deployment names its organisation with ``OPERATOR_NAME``, ``OPERATOR_ADDRESS`` and
``OPERATOR_CONTACTS``; a consent under the personal-data law (152-FZ) that names no
operator is worthless, so a production instance without them says so loudly at start.
Demo and test instances name a fictional utility, never a real company.
"""
from dataclasses import dataclass

DEMO_OPERATOR = {
    "OPERATOR_NAME": "АО «Теплосеть-Демо»",
    "OPERATOR_ADDRESS": "123456, г. Москва, ул. Примерная, д. 1 (вымышленный адрес)",
    "OPERATOR_CONTACTS": "+7 495 000-00-00, privacy@teploset-demo.example",
}
OPERATOR_SETTINGS = tuple(DEMO_OPERATOR)


@dataclass(frozen=True)
class Operator:
    """The organisation that runs the service, as the settings name it."""

    name: str
    address: str
    contacts: str

    @classmethod
    def from_config(cls, config):
        return cls(name=config.get("OPERATOR_NAME", ""), address=config.get("OPERATOR_ADDRESS", ""),
                   contacts=config.get("OPERATOR_CONTACTS", ""))


def settle_operator(config, logger):
    """Give demo and test instances the fictional operator; warn when production names none."""
    missing = [name for name in OPERATOR_SETTINGS if not config.get(name)]
    if not missing:
        return
    if config.get("DEMO_MODE") or config.get("TESTING"):
        # A named organisation never gets the fictional one's address or contacts.
        if not config.get("OPERATOR_NAME"):
            config.update(DEMO_OPERATOR)
        return
    logger.warning("%s not set: the consent text and the privacy policy name no operator of the "
                   "personal data; set them to the organisation that runs this service", ", ".join(missing))


def service_name(config, lang):
    """The service's name in ``lang``: ``SERVICE_NAME`` in Russian, ``SERVICE_NAME_EN`` in English."""
    if lang == "en" and config.get("SERVICE_NAME_EN"):
        return config["SERVICE_NAME_EN"]
    return config.get("SERVICE_NAME") or "Приём"
