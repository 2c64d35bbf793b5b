"""A certificate of origin as data, and as an OASIS UBL ``CertificateOfOrigin-2`` document.

``CertificateData`` is what an issuing authority fills in (``greenlane origin issue
DATA.json``; the fields are documented in ``docs/origin.md``). ``build`` turns it into a UBL
2.4 document that the shipped schema accepts (``schema.validate``); ``read`` takes the figures
a customs officer needs back out of any UBL certificate of origin, Greenlane's or another
issuer's, without assuming more than the schema requires.

Where the data goes in the UBL tree (UBL has no field for some of what an FTA certificate
says, so the choice is written down here and in ``docs/origin.md``):

- the agreement's code is ``cbc:ProfileID`` and ``cac:CertificateOfOriginApplication/
  cbc:CertificateType``;
- "issued retroactively" and "replacement of certificate N" are the application's
  ``cbc:ApplicationStatusCode`` (``original``, ``retroactive``, ``replacement``) and
  ``cbc:PreviousJobID``;
- the commercial invoice is the application's ``cac:SupportingDocumentReference``; its issuer
  party's country, when it differs from the exporting country, is third-country invoicing;
- each goods item's HS code is ``cac:Item/cac:CommodityClassification/
  cbc:ItemClassificationCode`` with ``listID="HS"``, its origin criterion
  ``cbc:PreferenceCriterionCode``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, model_validator

NS = {
    "coo": "urn:oasis:names:specification:ubl:schema:xsd:CertificateOfOrigin-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "sig": "urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2",
    "sac": "urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2",
    "sbc": "urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
#: The identifier UBL's signature guidelines give the document's one enveloped signature.
SIGNATURE_ID = "urn:oasis:names:specification:ubl:signature:CertificateOfOrigin"
SIGNATURE_METHOD = "urn:oasis:names:specification:ubl:dsig:enveloped"
CUSTOMIZATION = "urn:greenlane:origin:certificate:1"

_COUNTRY = r"^[A-Z]{2}$"
_HS = r"^[0-9]{6,10}$"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Party(_Data):
    """An exporter, importer, producer, invoicing party or the issuing authority."""

    name: str = Field(min_length=1, max_length=200)
    id: str | None = Field(default=None, max_length=64, description="registration or customs code")
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)
    country: str = Field(pattern=_COUNTRY, description="ISO 3166-1 alpha-2")


class Item(_Data):
    """One goods item: what it is, its HS code, its origin and how much of it."""

    description: str = Field(min_length=1, max_length=500)
    hs_code: str = Field(pattern=_HS, description="HS code, 6 to 10 digits")
    origin_country: str = Field(pattern=_COUNTRY)
    origin_criterion: str = Field(min_length=1, max_length=16, description="e.g. WO, PE, CTH")
    quantity: Decimal = Field(gt=0)
    unit: str = Field(default="PCE", pattern=r"^[A-Z0-9]{1,3}$", description="UN/ECE Rec. 20")
    value: Decimal = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    gross_weight_kg: Decimal | None = Field(default=None, gt=0)
    marks: str | None = Field(default=None, max_length=200)


class Invoice(_Data):
    number: str = Field(min_length=1, max_length=64)
    date: dt.date
    issuer: Party | None = Field(default=None, description="set when a third party invoices")


class Transport(_Data):
    departure_date: dt.date | None = None
    means: Literal["sea", "air", "road", "rail", "post", "multimodal"] | None = None
    vessel: str | None = Field(default=None, max_length=100, description="vessel or flight")
    port_of_loading: str | None = Field(default=None, max_length=5, description="UN/LOCODE")
    port_of_discharge: str | None = Field(default=None, max_length=5, description="UN/LOCODE")


class CertificateData(_Data):
    """What the issuing authority certifies (``docs/origin.md`` lists every field)."""

    number: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9./_-]+$")
    issue_date: dt.date
    issue_time: dt.time | None = None
    agreement: str = Field(min_length=1, max_length=32, description="e.g. KR-CN, RCEP, ATIGA")
    exporting_country: str = Field(pattern=_COUNTRY)
    importing_country: str = Field(pattern=_COUNTRY)
    issuer: Party
    exporter: Party
    importer: Party
    producer: Party | None = None
    invoice: Invoice
    transport: Transport = Transport()
    status: Literal["original", "retroactive", "replacement"] = "original"
    replaces: str | None = Field(default=None, max_length=64)
    remarks: str | None = Field(default=None, max_length=1000)
    items: tuple[Item, ...] = Field(min_length=1, max_length=999)

    @model_validator(mode="before")
    @classmethod
    def _issued_now_unless_dated(cls, data: Any) -> Any:
        """Without an issue date the certificate is issued now (UTC), to the second."""
        if isinstance(data, dict) and data.get("issue_date") is None:
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            data = {**data, "issue_date": now.date(), "issue_time": now.timetz()}
        return data

    @model_validator(mode="after")
    def _replacement_names_its_predecessor(self) -> CertificateData:
        if self.status == "replacement" and not self.replaces:
            raise ValueError("a replacement names the certificate it replaces (replaces)")
        return self


def _e(parent: Any, tag: str, text: object = None, **attributes: str) -> Any:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = str(text)
    return element


def _party(parent: Any, tag: str, party: Party) -> Any:
    """``tag`` wraps a ``cac:Party`` (ExporterParty and the like are PartyType themselves)."""
    element = _e(parent, tag)
    _party_body(element, party)
    return element


def _party_body(element: Any, party: Party) -> None:
    if party.id:
        _e(_e(element, "cac:PartyIdentification"), "cbc:ID", party.id)
    _e(_e(element, "cac:PartyName"), "cbc:Name", party.name)
    address = _e(element, "cac:PostalAddress")
    if party.city:
        _e(address, "cbc:CityName", party.city)
    if party.address:
        _e(_e(address, "cac:AddressLine"), "cbc:Line", party.address)
    _e(_e(address, "cac:Country"), "cbc:IdentificationCode", party.country)


def _endorser(parent: Any, tag: str, party: Party) -> None:
    endorser = _e(parent, tag)
    _e(endorser, "cbc:RoleCode", "issuer")
    _e(endorser, "cbc:SequenceNumeric", 1)
    _party_body(_e(endorser, "cac:Party"), party)
    _e(_e(endorser, "cac:SignatoryContact"), "cbc:Name", party.name)


def _goods_item(shipment: Any, number: int, item: Item) -> None:
    goods = _e(shipment, "cac:GoodsItem")
    _e(goods, "cbc:ID", number)
    _e(goods, "cbc:Description", item.description)
    _e(goods, "cbc:ValueAmount", item.value, currencyID=item.currency)
    if item.gross_weight_kg is not None:
        _e(goods, "cbc:GrossWeightMeasure", item.gross_weight_kg, unitCode="KGM")
    _e(goods, "cbc:Quantity", item.quantity, unitCode=item.unit)
    _e(goods, "cbc:PreferenceCriterionCode", item.origin_criterion)
    detail = _e(goods, "cac:Item")
    _e(detail, "cbc:Description", item.description)
    if item.marks:
        _e(detail, "cbc:AdditionalInformation", item.marks)
    _e(_e(detail, "cac:OriginCountry"), "cbc:IdentificationCode", item.origin_country)
    classification = _e(detail, "cac:CommodityClassification")
    _e(classification, "cbc:ItemClassificationCode", item.hs_code, listID="HS")


def _shipment(application: Any, data: CertificateData) -> None:
    shipment = _e(application, "cac:Shipment")
    _e(shipment, "cbc:ID", data.number)
    _e(shipment, "cbc:TotalGoodsItemQuantity", len(data.items))
    for number, item in enumerate(data.items, start=1):
        _goods_item(shipment, number, item)
    transport = data.transport
    if transport.departure_date or transport.means or transport.vessel:
        stage = _e(shipment, "cac:ShipmentStage")
        if transport.means:
            _e(stage, "cbc:TransportModeCode", _MODES[transport.means])
        if transport.departure_date:
            _e(stage, "cbc:EstimatedDeliveryDate", transport.departure_date.isoformat())
        if transport.vessel:
            _e(_e(stage, "cac:TransportMeans"), "cbc:JourneyID", transport.vessel)
    delivery_address = _e(_e(shipment, "cac:Delivery"), "cac:DeliveryAddress")
    _e(_e(delivery_address, "cac:Country"), "cbc:IdentificationCode", data.importing_country)
    if transport.port_of_discharge:
        _e(_e(shipment, "cac:FirstArrivalPortLocation"), "cbc:ID", transport.port_of_discharge)
    if transport.port_of_loading:
        _e(_e(shipment, "cac:LastExitPortLocation"), "cbc:ID", transport.port_of_loading)
    _e(_e(shipment, "cac:ExportCountry"), "cbc:IdentificationCode", data.exporting_country)


#: UN/ECE Recommendation 19 transport mode codes.
_MODES = {"sea": 1, "rail": 2, "road": 3, "air": 4, "post": 5, "multimodal": 6}


_NSMAP: dict[str | None, str] = {None: NS["coo"], **{p: uri for p, uri in NS.items() if p != "coo"}}


def build(data: CertificateData) -> Any:
    """The UBL document for ``data``, unsigned, with a place for its one signature."""
    root = etree.Element(f"{{{NS['coo']}}}CertificateOfOrigin", nsmap=_NSMAP)
    content = _e(_e(_e(root, "ext:UBLExtensions"), "ext:UBLExtension"), "ext:ExtensionContent")
    information = _e(_e(content, "sig:UBLDocumentSignatures"), "sac:SignatureInformation")
    _e(information, "cbc:ID", "urn:oasis:names:specification:ubl:signature:1")
    _e(information, "sbc:ReferencedSignatureID", SIGNATURE_ID)
    _e(root, "cbc:UBLVersionID", "2.4")
    _e(root, "cbc:CustomizationID", CUSTOMIZATION)
    _e(root, "cbc:ProfileID", data.agreement)
    _e(root, "cbc:ID", data.number)
    _e(root, "cbc:IssueDate", data.issue_date.isoformat())
    if data.issue_time is not None:
        _e(root, "cbc:IssueTime", data.issue_time.isoformat())
    if data.remarks:
        _e(root, "cbc:Note", data.remarks)
    signature = _e(root, "cac:Signature")
    _e(signature, "cbc:ID", SIGNATURE_ID)
    _e(signature, "cbc:SignatureMethod", SIGNATURE_METHOD)
    _party(root, "cac:ExporterParty", data.exporter)
    _party(root, "cac:ImporterParty", data.importer)
    _application(root, data)
    endorsement = _e(root, "cac:IssuerEndorsement")
    _e(endorsement, "cbc:DocumentID", data.number)
    _e(endorsement, "cbc:ApprovalStatus", "approved")
    _endorser(endorsement, "cac:EndorserParty", data.issuer)
    etree.indent(root)
    return root


def _application(root: Any, data: CertificateData) -> None:
    application = _e(root, "cac:CertificateOfOriginApplication")
    _e(application, "cbc:ReferenceID", data.number)
    _e(application, "cbc:CertificateType", data.agreement)
    _e(application, "cbc:ApplicationStatusCode", data.status)
    _e(application, "cbc:OriginalJobID", data.number)
    if data.replaces:
        _e(application, "cbc:PreviousJobID", data.replaces)
    _shipment(application, data)
    _endorser(application, "cac:EndorserParty", data.issuer)
    _party(application, "cac:PreparationParty", data.producer or data.exporter)
    _party(application, "cac:IssuerParty", data.issuer)
    _e(_e(application, "cac:IssuingCountry"), "cbc:IdentificationCode", data.exporting_country)
    invoice = _e(application, "cac:SupportingDocumentReference")
    _e(invoice, "cbc:ID", data.invoice.number)
    _e(invoice, "cbc:IssueDate", data.invoice.date.isoformat())
    _e(invoice, "cbc:DocumentTypeCode", "380")  # UN/EDIFACT 1001: commercial invoice
    _party(invoice, "cac:IssuerParty", data.invoice.issuer or data.exporter)


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, NS)
    if found is None or found.text is None:
        return None
    return str(found.text).strip() or None


def _party_of(element: Any) -> dict[str, str | None] | None:
    """Name, identifier and country of a PartyType element (or of one wrapping ``cac:Party``)."""
    if element is None:
        return None
    if element.find("cac:Party", NS) is not None:
        element = element.find("cac:Party", NS)
    return {
        "name": _text(element, "cac:PartyName/cbc:Name")
        or _text(element, "cac:PartyLegalEntity/cbc:RegistrationName"),
        "id": _text(element, "cac:PartyIdentification/cbc:ID"),
        "country": _text(element, "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
    }


_CLASSIFICATION = "cac:Item/cac:CommodityClassification/"
_DESTINATION = "cac:Shipment/cac:Delivery/cac:DeliveryAddress/cac:Country/cbc:IdentificationCode"
_INVOICE = "cac:SupportingDocumentReference/"


def read(root: Any) -> dict[str, Any]:
    """The figures of a certificate of origin: number, dates, parties, goods items.

    Reads any schema-valid UBL certificate (fields UBL leaves optional may be None). Call it
    on what a signature covers (``signature.verify`` does), never on bytes no one vouched for.
    """
    application = root.find("cac:CertificateOfOriginApplication", NS)
    items = []
    for goods in application.iterfind("cac:Shipment/cac:GoodsItem", NS):
        quantity = goods.find("cbc:Quantity", NS)
        value = goods.find("cbc:ValueAmount", NS)
        items.append(
            {
                "sequence": _text(goods, "cbc:ID"),
                "description": _text(goods, "cbc:Description")
                or _text(goods, "cac:Item/cbc:Description"),
                "hs_code": _text(goods, _CLASSIFICATION + "cbc:ItemClassificationCode")
                or _text(goods, _CLASSIFICATION + "cbc:CommodityCode"),
                "origin_country": _text(goods, "cac:Item/cac:OriginCountry/cbc:IdentificationCode"),
                "origin_criterion": _text(goods, "cbc:PreferenceCriterionCode"),
                "quantity": _text(goods, "cbc:Quantity"),
                "unit": quantity.get("unitCode") if quantity is not None else None,
                "value": _text(goods, "cbc:ValueAmount"),
                "currency": value.get("currencyID") if value is not None else None,
                "gross_weight_kg": _text(goods, "cbc:GrossWeightMeasure"),
            }
        )
    return {
        "certificate_number": _text(root, "cbc:ID"),
        "issue_date": _text(root, "cbc:IssueDate"),
        "issue_time": _text(root, "cbc:IssueTime"),
        "agreement": _text(root, "cbc:ProfileID") or _text(application, "cbc:CertificateType"),
        "status": _text(application, "cbc:ApplicationStatusCode"),
        "replaces": _text(application, "cbc:PreviousJobID"),
        "exporting_country": _text(application, "cac:IssuingCountry/cbc:IdentificationCode"),
        "importing_country": _text(
            application,
            _DESTINATION,
        ),
        "issuer": _party_of(application.find("cac:IssuerParty", NS)),
        "exporter": _party_of(root.find("cac:ExporterParty", NS))
        or _party_of(application.find("cac:ExporterParty", NS)),
        "importer": _party_of(root.find("cac:ImporterParty", NS))
        or _party_of(application.find("cac:ImporterParty", NS)),
        "invoice": {
            "number": _text(application, "cac:SupportingDocumentReference/cbc:ID"),
            "date": _text(application, "cac:SupportingDocumentReference/cbc:IssueDate"),
            "issuer": _party_of(application.find(_INVOICE + "cac:IssuerParty", NS)),
        },
        "items": items,
    }
