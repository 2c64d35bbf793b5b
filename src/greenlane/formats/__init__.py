"""Date and number formats per language (Django's FORMAT_MODULE_PATH).

One date format across the site: ISO 8601 (2026-12-05), which every administration reads the
same way, instead of the English locale's "Dec. 5, 2026" beside pages that wrote 2026-12-05.
The languages of issue 23 add their own modules here.
"""
