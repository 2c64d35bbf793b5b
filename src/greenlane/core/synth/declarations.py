"""One chunk of declarations, with ground truth, inspections and consignment events.

Fraud is planted through three mechanisms, each visible only in a combination of columns:
- undervaluation: the declared value is 30-70% of the true value (unit value vs. the HS x
  origin reference, together with the importer's history);
- misclassification: goods declared under the lowest-duty code of their chapter, at the true
  goods' mass and value (unit value unusual for the declared code; risky brokers);
- origin misdeclaration: goods of a non-preferential origin declared as from a preferential
  one (the seller's country differs from the declared origin).
The propensity combines the importer's hidden risk, broker, collusive seller pairs, duty at
stake, youth of the firm and AEO status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from greenlane.core.synth import world
from greenlane.core.synth.config import SynthConfig
from greenlane.core.synth.economy import HS_PER_IMPORTER, SELLERS_PER_IMPORTER, Economy

FloatArray = npt.NDArray[np.float64]

ORIGIN_CODES = [c for c, _ in world.ORIGINS]
COUNTRY_CODES = sorted(set(ORIGIN_CODES) | set(world.HUBS))
COUNTRY_INDEX = {c: i for i, c in enumerate(COUNTRY_CODES)}
PATTERNS = ["", "undervaluation", "misclassification", "origin"]
CHANNELS = ["green", "yellow", "red"]
SECONDS_PER_HOUR = 3600
#: Revenue at stake above which a fraud is critical (origin fraud always is).
CRITICAL_REVENUE = 10_000.0


@dataclass
class Chunk:
    declarations: pa.Table
    truth: pa.Table
    inspections: pa.Table
    consignments: pa.Table | None


def day_cdf(config: SynthConfig) -> FloatArray:
    """Cumulative share of declarations by day: fewer at weekends, a slow upward trend."""
    days = np.arange(config.days)
    weekday = (config.start.toordinal() + days) % 7  # ordinal 1 (0001-01-01) was a Monday
    weight = np.where(np.isin(weekday, [6, 0]), 0.35, 1.0) * (1 + 0.1 * days / config.days)
    cdf: FloatArray = np.cumsum(weight) / weight.sum()
    return cdf


def _dict(indices: npt.NDArray[np.int64], values: list[str]) -> pa.DictionaryArray:
    """Dictionary-encode ``values[indices]``; the dictionary holds each value once (a repeated
    dictionary value makes the Parquet writer's output depend on hashing order)."""
    unique, inverse = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return pa.DictionaryArray.from_arrays(
        pa.array(inverse[indices], pa.int32()), pa.array(unique.tolist(), pa.string())
    )


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def make_chunk(
    config: SynthConfig, economy: Economy, cdf: FloatArray, first_row: int, rows: int,
    rng: np.random.Generator,
) -> Chunk:  # fmt: skip
    goods, e = economy.goods, economy
    index = np.arange(first_row, first_row + rows)
    day = np.searchsorted(cdf, (index + 0.5) / config.declarations).astype(np.int64)

    imp = rng.choice(len(e.importers), size=rows, p=e.importer_weight)
    broker = np.where(rng.random(rows) < 0.75, e.importer_broker[imp], rng.choice(e.brokers, rows))
    slot = rng.integers(0, SELLERS_PER_IMPORTER, rows)
    regular = rng.random(rows) < 0.85
    seller = np.where(regular, e.importer_sellers[imp, slot], rng.choice(e.sellers, rows))
    collusive = regular & e.colluding[imp, slot]
    hs = np.where(
        rng.random(rows) < 0.9,
        e.importer_hs[imp, rng.integers(0, HS_PER_IMPORTER, rows)],
        rng.integers(0, len(goods.hs6), rows),
    )
    true_origin = e.origin_of[seller]
    office = rng.choice(len(world.OFFICES), size=rows, p=[o.share for o in world.OFFICES])

    mass = goods.mass[hs] * np.exp(rng.normal(0, 0.8, rows))
    unit_value = goods.price[hs] * np.exp(rng.normal(0, 0.25, rows))
    true_value = mass * unit_value
    pref = np.array([world.PREFERENCE.get(c, 1.0) for c in ORIGIN_CODES])
    true_rate = goods.mfn_rate[hs] * pref[true_origin]
    aeo = e.importer_aeo_from[imp] <= day
    partner_aeo = e.seller_partner_aeo[seller] != None  # noqa: E711  (object array)

    logit = (
        -4.6
        + e.importer_risk[imp]
        + e.broker_risk[broker]
        + 1.6 * collusive
        + 0.08 * true_rate
        + 0.9 * e.importer_young[imp]
        - 1.5 * aeo
        - 0.6 * partner_aeo
    )
    fraud = rng.random(rows) < _sigmoid(logit)
    kind = np.where(fraud, rng.choice([1, 2, 3], size=rows, p=[0.6, 0.25, 0.15]), 0)
    # Origin fraud only pays where the true origin has no preference.
    kind = np.where((kind == 3) & (pref[true_origin] > 0.5), 1, kind)
    # Misclassification only pays where a cheaper code exists.
    cheap = goods.cheapest_in_chapter[hs]
    kind = np.where((kind == 2) & (goods.mfn_rate[cheap] >= goods.mfn_rate[hs]), 1, kind)
    fraud = kind > 0

    declared_hs = np.where(kind == 2, cheap, hs)
    vn = ORIGIN_CODES.index("VN")
    declared_origin = np.where(kind == 3, vn, true_origin)
    declared_value = np.where(kind == 1, true_value * rng.uniform(0.3, 0.7, rows), true_value)
    declared_rate = goods.mfn_rate[declared_hs] * pref[declared_origin]
    duty = declared_value * declared_rate / 100
    true_duty = true_value * true_rate / 100
    vat = world.IMPORT_VAT / 100
    evaded = (true_duty - duty) + vat * ((true_value + true_duty) - (declared_value + duty))
    revenue_at_stake = np.round(np.maximum(evaded, 0.0), 2)
    critical = fraud & ((revenue_at_stake > CRITICAL_REVENUE) | (kind == 3))

    origin_country = np.array([COUNTRY_INDEX[c] for c in ORIGIN_CODES])[declared_origin]
    hub = np.array([COUNTRY_INDEX[h] for h in world.HUBS])[rng.integers(0, len(world.HUBS), rows)]
    transshipped = (rng.random(rows) < 0.08) | ((kind == 3) & (rng.random(rows) < 0.5))
    dispatch = np.where(
        transshipped,
        np.where(kind == 3, np.array([COUNTRY_INDEX[c] for c in ORIGIN_CODES])[true_origin], hub),
        origin_country,
    )
    quantity = np.maximum(1, np.round(mass / np.exp(rng.normal(1.0, 1.0, rows))))

    # The legacy selection that produced the labels: rules and officers' judgement, partly
    # informed by real risk, with lighter treatment of AEOs and partner AEOs.
    p_inspect = 0.015 + 0.35 * _sigmoid(logit + rng.normal(0, 1.5, rows) + 1.2)
    p_inspect *= np.where(aeo, 0.35, 1.0) * np.where(partner_aeo, 0.6, 1.0)
    inspected = rng.random(rows) < np.minimum(p_inspect, 0.95)
    found = inspected & fraud & (rng.random(rows) < 0.92)
    physical = rng.random(rows) < 0.6
    channel = np.where(inspected, np.where(physical, 2, 1), 0)

    # Numbers carry the seed, so economies of different seeds can share one database.
    number = pc.binary_join_element_wise(
        f"D{config.seed}-",
        pc.utf8_lpad(pc.cast(pa.array(index, pa.int64()), pa.string()), 10, "0"),
        "",
    )
    dates = pa.array(day.astype("int32") + _epoch_day(config), pa.date32())
    office_codes = [o.code for o in world.OFFICES]
    modes = [o.mode for o in world.OFFICES]
    declarations = pa.table(
        {
            "declaration_number": number,
            "declaration_date": dates,
            "office_code": _dict(office, office_codes),
            "transport_mode": _dict(office, modes),
            "declarant_code": _dict(broker, e.codes),
            "importer_code": _dict(imp, e.codes),
            "seller_code": _dict(seller, e.codes),
            "hs6": _dict(declared_hs, goods.hs6),
            "origin_country": _dict(origin_country, COUNTRY_CODES),
            "dispatch_country": _dict(dispatch, COUNTRY_CODES),
            "quantity": pa.array(quantity),
            "net_mass_kg": pa.array(np.round(mass, 3)),
            "customs_value": pa.array(np.round(declared_value, 2)),
            "tax_rate": pa.array(np.round(declared_rate, 3)),
            "duty_amount": pa.array(np.round(duty, 2)),
        }
    )
    truth = pa.table(
        {
            "declaration_number": number,
            "fraud": pa.array(fraud),
            "critical": pa.array(critical),
            "pattern": _dict(kind, PATTERNS),
            "revenue_at_stake": pa.array(np.where(fraud, revenue_at_stake, 0.0)),
        }
    )
    sel = np.flatnonzero(inspected)
    inspections = pa.table(
        {
            "declaration_number": number.take(pa.array(sel)),
            "inspected_on": pa.array(
                # A result comes 0 to 2 days after the declaration, within the period (which
                # the demo ends yesterday: a result is never dated in the future).
                np.minimum(day[sel] + rng.integers(0, 3, sel.size), config.days - 1).astype("int32")
                + _epoch_day(config),
                pa.date32(),
            ),
            "channel": _dict(channel[sel], CHANNELS),
            "fraud_found": pa.array(found[sel]),
            "critical": pa.array((found & critical)[sel]),
            "revenue_recovered": pa.array(np.where(found, revenue_at_stake, 0.0)[sel]),
        }
    )
    consignments = None
    if config.consignments:
        consignments = _consignments(
            config, e, rng, number, day, office, channel, aeo, seller, declared_hs, declared_value,
            imp,
        )  # fmt: skip
    return Chunk(declarations, truth, inspections, consignments)


def _epoch_day(config: SynthConfig) -> int:
    return config.start.toordinal() - 719163  # days since 1970-01-01


def _gamma_hours(
    rng: np.random.Generator, mean: FloatArray | float, rows: int, shape: float = 2.0
) -> FloatArray:
    out: FloatArray = rng.gamma(shape, 1.0, rows) * (np.asarray(mean) / shape)
    return out


def _consignments(
    config: SynthConfig, e: Economy, rng: np.random.Generator, number: pa.Array,
    day: npt.NDArray[np.int64], office: npt.NDArray[np.int64], channel: npt.NDArray[np.int64],
    aeo: npt.NDArray[np.bool_], seller: npt.NDArray[np.int64], hs: npt.NDArray[np.int64],
    value: FloatArray, importer: npt.NDArray[np.int64],
) -> pa.Table:  # fmt: skip
    """Event times of each consignment, arrival to exit (hours; stored as timestamps).

    AEO status lowers documentary and examination times and brings pre-arrival filing; the
    channel adds examination; each office has its own speed; other agencies add their step.
    """
    rows = len(day)
    goods = e.goods
    speed = np.array([o.speed for o in world.OFFICES])[office]
    mode = np.array([o.mode for o in world.OFFICES])[office]
    partner_aeo = e.seller_partner_aeo[seller] != None  # noqa: E711
    facilitation = np.where(aeo, 0.45, 1.0) * np.where(partner_aeo, 0.8, 1.0)

    # Arrival hour: sea and land around the clock, air peaks at night, post in the morning.
    hour = np.where(mode == "4", rng.normal(2, 4, rows) % 24, rng.uniform(0, 24, rows))
    hour = np.where(mode == "5", rng.normal(9, 2, rows) % 24, hour)
    arrival = day * 24.0 + hour
    unload_mean = np.select([mode == "1", mode == "4", mode == "3"], [10.0, 2.0, 0.5], 4.0)
    unloaded = arrival + _gamma_hours(rng, unload_mean, rows)
    pre_arrival = rng.random(rows) < np.where(aeo, 0.8, 0.3)
    lodged = np.where(
        pre_arrival,
        arrival - rng.uniform(2, 48, rows),
        unloaded + _gamma_hours(rng, 8.0 * speed, rows),
    )
    registered = lodged + rng.uniform(0.05, 1.0, rows)
    start = np.maximum(registered, unloaded)
    doc = _gamma_hours(
        rng, np.select([channel == 0, channel == 1], [0.5, 8.0], 4.0) * speed * facilitation, rows
    )
    exam_wait = _gamma_hours(rng, 14.0 * speed * facilitation, rows)
    exam_len = _gamma_hours(rng, 4.0, rows, shape=3.0)
    red = channel == 2
    exam_start = np.where(red, start + doc + exam_wait, np.nan)
    exam_end = exam_start + exam_len
    oga = goods.other_agency[hs] & (rng.random(rows) < 0.7)
    oga_start = np.where(oga, start + rng.uniform(0, 2, rows), np.nan)
    oga_end = oga_start + _gamma_hours(rng, 20.0 * speed, rows)
    ready = np.fmax(np.where(red, exam_end, start + doc), np.where(oga, oga_end, -np.inf))
    deferred = aeo & (rng.random(rows) < 0.7)  # AEOs pay duty periodically, after release
    duty_paid = np.where(deferred, np.nan, ready + rng.uniform(0.1, 3.0, rows))
    release = np.where(deferred, ready, duty_paid) + rng.uniform(0.05, 0.5, rows)
    exit_ = release + _gamma_hours(
        rng, np.select([mode == "1", mode == "4"], [24.0, 5.0], 3.0), rows
    )

    base = _epoch_day(config) * 24 * SECONDS_PER_HOUR

    def ts(hours: npt.NDArray[np.floating[Any]]) -> pa.Array:
        seconds = np.round(hours * SECONDS_PER_HOUR)
        mask = np.isnan(seconds)
        return pa.array(
            np.where(mask, 0, seconds).astype(np.int64) + base, pa.timestamp("s"), mask=mask
        )

    partner_codes = sorted({p for p in e.seller_partner_aeo if p is not None})
    by_operator = [partner_codes.index(p) if p is not None else -1 for p in e.seller_partner_aeo]
    partner_idx = np.array(by_operator, dtype=np.int64)[seller]
    office_codes = [o.code for o in world.OFFICES]
    return pa.table(
        {
            "consignment_id": pc.binary_join_element_wise(
                "C", pc.utf8_slice_codeunits(number, 1), ""
            ),
            "declaration_number": number,
            "importer_code": _dict(importer, e.codes),
            "direction": _dict(np.zeros(rows, dtype=np.int64), ["import"]),
            "office_code": _dict(office, office_codes),
            "transport_mode": _dict(office, [o.mode for o in world.OFFICES]),
            "channel": _dict(channel, CHANNELS),
            "aeo": pa.array(aeo),
            "mra_partner": pa.DictionaryArray.from_arrays(
                pa.array(partner_idx, pa.int32(), mask=partner_idx < 0),
                pa.array(partner_codes, pa.string()),
            ),
            "pre_arrival": pa.array(pre_arrival),
            "other_agency": pa.array(oga),
            "hs6": _dict(hs, goods.hs6),
            "customs_value": pa.array(np.round(value, 2)),
            "arrival": ts(arrival),
            "unloaded": ts(unloaded),
            "lodged": ts(lodged),
            "registered": ts(registered),
            "exam_start": ts(exam_start),
            "exam_end": ts(exam_end),
            "oga_start": ts(oga_start),
            "oga_end": ts(oga_end),
            "duty_paid": ts(duty_paid),
            "release": ts(release),
            "exit": ts(exit_),
        }
    )
