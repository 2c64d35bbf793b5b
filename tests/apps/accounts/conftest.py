from tests.mailserver import smtp  # noqa: F401  (a real SMTP server on loopback, as a fixture)
