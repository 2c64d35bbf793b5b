"""Import declarations and inspection results.

Field names follow the WCO Data Model where one exists (declaration date, customs office,
mode of transport, declarant, importer, seller, commodity code, country of origin, country of
dispatch, net mass, customs value, duty). Traders are referred to by identifier (``*_code``):
declarations arrive from customs systems and may name traders Greenlane has no record of.
"""

from __future__ import annotations

from django.db import models


class TransportMode(models.TextChoices):
    """UN/ECE Recommendation 19 codes."""

    SEA = "1", "Sea"
    RAIL = "2", "Rail"
    ROAD = "3", "Road"
    AIR = "4", "Air"
    POST = "5", "Post"
    MULTIMODAL = "6", "Multimodal"
    FIXED = "7", "Fixed installation"
    INLAND_WATER = "8", "Inland waterway"
    UNKNOWN = "9", "Unknown"


class Declaration(models.Model):
    number = models.CharField(max_length=40, unique=True)
    declaration_date = models.DateField(db_index=True)
    office_code = models.CharField(max_length=10, db_index=True)
    transport_mode = models.CharField(max_length=2, choices=TransportMode.choices)
    declarant_code = models.CharField(max_length=40, db_index=True)
    importer_code = models.CharField(max_length=40, db_index=True)
    seller_code = models.CharField(max_length=40, db_index=True)
    hs6 = models.CharField(max_length=6)
    origin_country = models.CharField(max_length=2)
    dispatch_country = models.CharField(max_length=2)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    net_mass_kg = models.DecimalField(max_digits=14, decimal_places=3)
    customs_value = models.DecimalField(max_digits=16, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, help_text="ad valorem, %")
    duty_amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["-declaration_date", "number"]

    def __str__(self) -> str:
        return self.number


class Inspection(models.Model):
    declaration = models.OneToOneField(
        Declaration, on_delete=models.CASCADE, related_name="inspection"
    )
    inspected_on = models.DateField()
    fraud_found = models.BooleanField()
    critical = models.BooleanField(default=False)
    revenue_recovered = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"inspection of {self.declaration_id}"
