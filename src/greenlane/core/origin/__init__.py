"""Electronic certificates of origin: the UBL document (``document``), its schema
(``schema``), the trust list (``trust``) and the XML signature (``signature``).

Pure core: no Django. ``docs/origin.md`` and decision 0034 say what is checked and why.
"""
