"""Notices: the in-app inbox and the e-mail that tells people what asks them to act."""
