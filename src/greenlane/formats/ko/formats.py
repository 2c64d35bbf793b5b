"""Korean: dates as Korean documents write them (2026. 12. 7.), times on the 24-hour clock,
a comma between thousands, a point before decimals (KS X ISO 8601 is also read in forms)."""

DATE_FORMAT = "Y. n. j."
SHORT_DATE_FORMAT = "Y. n. j."
DATETIME_FORMAT = "Y. n. j. H:i"
SHORT_DATETIME_FORMAT = "Y. n. j. H:i"
MONTH_DAY_FORMAT = "n. j."
YEAR_MONTH_FORMAT = "Y. n."
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 0  # Sunday, as Korean calendars show the week
