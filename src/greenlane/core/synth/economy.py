"""Operators of the synthetic economy, with the hidden traits that drive their behaviour.

Visible attributes (name, size, age, AEO status) go to ``operators.parquet``; hidden traits
(propensity to commit fraud, regular suppliers, product focus) stay in memory and shape the
declarations, as they would in a real economy where customs only sees the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from greenlane.core.synth import world
from greenlane.core.synth.config import SynthConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SELLERS_PER_IMPORTER = 6
HS_PER_IMPORTER = 6
NEVER = np.iinfo(np.int64).max


@dataclass
class Goods:
    hs6: list[str]
    chapter: IntArray  # index into world.CHAPTERS
    price: FloatArray  # reference value per kg
    mass: FloatArray  # median mass
    mfn_rate: FloatArray
    other_agency: BoolArray
    cheapest_in_chapter: IntArray  # the lowest-duty code of the same chapter (misclassification)


@dataclass
class Economy:
    codes: list[str]
    importers: IntArray  # operator indices
    brokers: IntArray
    sellers: IntArray
    country: list[str]
    importer_weight: FloatArray  # share of declarations per importer
    importer_risk: FloatArray  # hidden fraud propensity (logit shift)
    importer_young: BoolArray
    importer_aeo_from: IntArray  # day index from which the importer is a domestic AEO
    importer_broker: IntArray  # main broker (operator index)
    importer_sellers: IntArray  # (importers, SELLERS_PER_IMPORTER) operator indices
    importer_hs: IntArray  # (importers, HS_PER_IMPORTER) goods indices
    colluding: BoolArray  # (importers, SELLERS_PER_IMPORTER) collusive pairs
    broker_risk: FloatArray  # indexed by operator index
    seller_partner_aeo: npt.NDArray[np.object_]  # programme code or None, by operator index
    origin_of: IntArray  # seller operator index -> origin index
    goods: Goods
    operators: pa.Table
    authorisations: pa.Table


def make_goods(rng: np.random.Generator) -> Goods:
    hs6: list[str] = []
    chapter, price, mass, rate, oga, cheapest = [], [], [], [], [], []
    for ci, ch in enumerate(world.CHAPTERS):
        subs = rng.choice(np.arange(1, 100), size=world.HS_PER_CHAPTER, replace=False)
        first = len(hs6)
        rates = ch.mfn_rate * rng.choice([0.0, 0.5, 1.0, 1.0, 1.5], size=world.HS_PER_CHAPTER)
        for k, sub in enumerate(sorted(subs)):
            hs6.append(f"{ch.code}{sub:02d}{rng.integers(10, 100):02d}")
            chapter.append(ci)
            price.append(ch.price_per_kg * float(np.exp(rng.normal(0, 0.5))))
            mass.append(ch.mass_kg * float(np.exp(rng.normal(0, 0.4))))
            rate.append(round(float(rates[k]), 1))
            oga.append(ch.other_agency)
        low = first + int(np.argmin(rate[first:]))
        cheapest.extend([low] * world.HS_PER_CHAPTER)
    return Goods(
        hs6=hs6,
        chapter=np.array(chapter, dtype=np.int64),
        price=np.array(price),
        mass=np.array(mass),
        mfn_rate=np.array(rate),
        other_agency=np.array(oga, dtype=bool),
        cheapest_in_chapter=np.array(cheapest, dtype=np.int64),
    )


def _names(rng: np.random.Generator, countries: list[str]) -> list[str]:
    stems = rng.integers(0, len(world.NAME_STEMS), size=len(countries))
    trades = rng.integers(0, len(world.NAME_TRADES), size=len(countries))
    return [
        f"{world.NAME_STEMS[s]} {world.NAME_TRADES[t]} {world.LEGAL_FORMS.get(c, 'Co., Ltd.')}"
        for s, t, c in zip(stems, trades, countries, strict=True)
    ]


def make_economy(config: SynthConfig, rng: np.random.Generator) -> Economy:
    goods = make_goods(rng)
    n = config.operators
    n_brokers = max(5, n // 20)
    n_sellers = int(n * 0.35)
    n_importers = n - n_brokers - n_sellers
    importers = np.arange(n_importers)
    brokers = np.arange(n_importers, n_importers + n_brokers)
    sellers = np.arange(n_importers + n_brokers, n)

    origin_codes = [c for c, _ in world.ORIGINS]
    origin_p = np.array([p for _, p in world.ORIGINS])
    origin_p = origin_p / origin_p.sum()
    origin_of = np.full(n, -1, dtype=np.int64)
    origin_of[sellers] = rng.choice(len(origin_codes), size=n_sellers, p=origin_p)
    country = [config.home_country] * (n_importers + n_brokers) + [
        origin_codes[i] for i in origin_of[sellers]
    ]
    codes = [f"OP{i:07d}" for i in range(n)]

    # Size classes and age. Large firms import more; young firms are riskier.
    size_names = [s[0] for s in world.SIZE_CLASSES]
    size_p = np.array([s[1] for s in world.SIZE_CLASSES])
    size_idx = rng.choice(len(size_names), size=n, p=size_p)
    lo = np.array([s[2] for s in world.SIZE_CLASSES])[size_idx]
    hi = np.array([s[3] for s in world.SIZE_CLASSES])[size_idx]
    employees = np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi + 1)))).astype(np.int64)
    years = np.minimum(rng.gamma(2.0, 6.0, size=n), 60.0)
    established_day = -np.round(years * 365.25).astype(np.int64)

    weight = np.exp(rng.normal(0.0, 1.0, size=n_importers)) * (1 + size_idx[importers]) ** 1.5
    weight /= weight.sum()
    young = years[importers] < 2.0

    # Hidden propensity: most importers are honest, a few are not.
    bad = rng.random(n_importers) < 0.06
    importer_risk = np.where(
        bad, rng.normal(3.0, 0.6, n_importers), rng.normal(0.0, 0.7, n_importers)
    )
    # AEO status: more likely for large, older, honest firms (the certification filters risk).
    p_aeo = 0.02 + 0.10 * size_idx[importers] + 0.08 * (years[importers] > 5)
    p_aeo = np.where(importer_risk > 1.5, p_aeo * 0.1, p_aeo)
    is_aeo = rng.random(n_importers) < p_aeo
    # Most were certified before the period; some during it.
    aeo_from = np.where(
        rng.random(n_importers) < 0.8,
        -rng.integers(30, 1800, n_importers),
        rng.integers(0, config.days, n_importers),
    )
    importer_aeo_from = np.where(is_aeo, aeo_from, NEVER)

    broker_risk = np.zeros(n)
    broker_risk[brokers] = np.where(rng.random(n_brokers) < 0.15, 1.4, 0.0)
    importer_broker = rng.choice(brokers, size=n_importers)
    importer_sellers = rng.choice(sellers, size=(n_importers, SELLERS_PER_IMPORTER))
    colluding = (rng.random((n_importers, SELLERS_PER_IMPORTER)) < 0.35) & bad[:, None]
    focus = rng.integers(0, len(world.CHAPTERS), size=(n_importers, 2))
    pick = rng.integers(0, world.HS_PER_CHAPTER, size=(n_importers, HS_PER_IMPORTER))
    which = rng.integers(0, 2, size=(n_importers, HS_PER_IMPORTER))
    importer_hs = np.take_along_axis(focus, which, axis=1) * world.HS_PER_CHAPTER + pick

    partner = np.full(n, None, dtype=object)
    for s in sellers:
        code = country[s]
        if code in world.PARTNER_PROGRAMMES and rng.random() < 0.2:
            partner[s] = world.PARTNER_PROGRAMMES[code][0]

    trade_role = ["importer"] * n_importers + ["broker"] * n_brokers + ["exporter"] * n_sellers
    national_id = [
        f"{rng.integers(100, 1000)}-{rng.integers(10, 100)}-{rng.integers(10000, 100000)}"
        if c == config.home_country
        else ""
        for c in country
    ]
    eori = [
        f"{c}{rng.integers(10**9, 10**10)}" if c in {"DE", "FR", "IT", "NL"} else ""
        for c in country
    ]
    established_on = [config.start + timedelta(days=int(d)) for d in established_day]
    operators = pa.table(
        {
            "code": pa.array(codes, pa.string()),
            "name": pa.array(_names(rng, country), pa.string()),
            "country": pa.array(country, pa.string()),
            "trade_role": pa.array(trade_role, pa.string()),
            "national_id": pa.array(national_id, pa.string()),
            "eori": pa.array(eori, pa.string()),
            "size_class": pa.array([size_names[i] for i in size_idx], pa.string()),
            "employees": pa.array(employees, pa.int32()),
            "established_on": pa.array(established_on, pa.date32()),
        }
    )
    authorisations = _authorisations(
        config, rng, codes, importers, importer_aeo_from, sellers, partner, country
    )
    return Economy(
        codes=codes,
        importers=importers,
        brokers=brokers,
        sellers=sellers,
        country=country,
        importer_weight=weight,
        importer_risk=importer_risk,
        importer_young=young,
        importer_aeo_from=importer_aeo_from,
        importer_broker=importer_broker,
        importer_sellers=importer_sellers,
        importer_hs=importer_hs,
        colluding=colluding,
        broker_risk=broker_risk,
        seller_partner_aeo=partner,
        origin_of=origin_of,
        goods=goods,
        operators=operators,
        authorisations=authorisations,
    )


def _authorisations(
    config: SynthConfig,
    rng: np.random.Generator,
    codes: list[str],
    importers: IntArray,
    aeo_from: IntArray,
    sellers: IntArray,
    partner: npt.NDArray[np.object_],
    country: list[str],
) -> pa.Table:
    tiers = [t for t, _ in world.DOMESTIC_TIERS]
    tier_p = [p for _, p in world.DOMESTIC_TIERS]
    rows: dict[str, list[object]] = {
        k: [] for k in ("operator_code", "programme", "tier", "valid_from", "valid_to")
    }
    for i in importers[aeo_from != NEVER]:
        start = config.start + timedelta(days=int(aeo_from[i]))
        rows["operator_code"].append(codes[i])
        rows["programme"].append(world.DOMESTIC_PROGRAMME)
        rows["tier"].append(tiers[int(rng.choice(len(tiers), p=tier_p))])
        rows["valid_from"].append(start)
        rows["valid_to"].append(start + timedelta(days=5 * 365))  # Korea AEO: five years
    for s in sellers:
        if partner[s] is not None:
            rows["operator_code"].append(codes[s])
            rows["programme"].append(partner[s])
            rows["tier"].append(world.PARTNER_PROGRAMMES[country[s]][1])
            rows["valid_from"].append(config.start - timedelta(days=int(rng.integers(60, 2000))))
            rows["valid_to"].append(None)
    return pa.table(
        {
            "operator_code": pa.array(rows["operator_code"], pa.string()),
            "programme": pa.array(rows["programme"], pa.string()),
            "tier": pa.array(rows["tier"], pa.string()),
            "valid_from": pa.array(rows["valid_from"], pa.date32()),
            "valid_to": pa.array(rows["valid_to"], pa.date32()),
        }
    )
