"""Correspondence: dated messages with attachments between a company (or its consultant) and
the customs validator on an application or a certificate (issue 18, point 5)."""
