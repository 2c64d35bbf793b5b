"""Benchmark: verifying signed certificates of origin (``core.origin.signature.verify``), and
matching preference claims against certificates (``core.origin.claims.match_table``).

Signs N distinct certificates of origin (default 2,000; 1 to 8 goods items each) with an
issuing authority that a root certifies, then in one process:
- verify: the whole check per document (parse, UBL schema, locate the signature, the signer
  against the trust list, digest and signature value, validity and CRL on the signing date);
- baseline: the bare signature verification alone (the SignedInfo's ECDSA P-256 signature
  checked with ``cryptography``, canonical bytes prepared beforehand) on the same documents;
- verify on two processes (the machine's two cores), reported apart.
Reports certificates per second and the ratio verify / baseline. Target: >= 200 a second.

Then M claim lines (default 1,000,000) against as many certificates (1 to 3 goods items each,
one in ten claims naming a certificate not on record), drawn with numpy, matched on DuckDB;
the baseline is the bare join of the claims with the certificates and their items on the
same connection. Target: under 60 s for a million against a million.

    python bench/origin.py [--certificates 2000] [--claims 1000000]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greenlane.core.origin import claims as claims_module
from greenlane.core.origin import document, keys
from greenlane.core.origin.signature import sign, verify
from greenlane.core.origin.trust import TrustList
from synth import cli

MARK = "bench/origin.py"
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def documents(count: int, folder: Path) -> tuple[list[bytes], Path, x509.Certificate]:
    """``count`` signed certificates, the trust list folder, and the signer's certificate."""
    root_key, key = keys.new_key(), keys.new_key()
    root = keys.certify(keys.name("Bench Origin Root"), root_key, None, ca=True, not_before=START)
    signer = keys.certify(
        keys.name("Bench Issuing Authority"), key, (root.subject, root_key), ca=False,
        not_before=START,
    )  # fmt: skip
    (folder / "root.pem").write_bytes(keys.certificate_pem(root))
    key_pem, cert_pem = keys.key_pem(key), keys.certificate_pem(signer)
    party = {"name": "Bench Exporter Co.", "id": "KR000", "country": "KR"}
    signed = []
    for n in range(count):
        items = [
            {
                "description": f"goods {n}-{i}", "hs_code": f"{850000 + (n * 7 + i) % 9999:06d}",
                "origin_country": "KR", "origin_criterion": "PE", "quantity": str(1 + i),
                "value": f"{1000 + n}.50", "currency": "USD",
            }
            for i in range(1 + n % 8)
        ]  # fmt: skip
        data = document.CertificateData.model_validate(
            {
                "number": f"KR-BENCH-{n:07d}", "issue_date": "2026-06-01", "agreement": "KR-CN",
                "exporting_country": "KR", "importing_country": "CN",
                "issuer": {"name": "Bench Customs", "country": "KR"}, "exporter": party,
                "importer": {**party, "country": "CN"},
                "invoice": {"number": f"INV{n}", "date": "2026-05-30"}, "items": items,
            }
        )  # fmt: skip
        signed.append(sign(document.build(data), key_pem, cert_pem))
    return signed, folder, signer


def _bare(signed: list[bytes]) -> list[tuple[bytes, bytes]]:
    """(canonical SignedInfo, DER signature) per document: all the baseline has to check."""
    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    prepared = []
    for data in signed:
        root = etree.fromstring(data)
        info = root.find(".//ds:SignedInfo", ns)
        raw = base64.b64decode(root.find(".//ds:SignatureValue", ns).text)
        half = len(raw) // 2
        der = encode_dss_signature(
            int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        )
        prepared.append((etree.tostring(info, method="c14n", exclusive=True), der))
    return prepared


def _verify_all(signed: list[bytes], folder: str) -> int:
    trust = TrustList.from_directory(Path(folder))
    return sum(verify(data, trust, today=dt.date(2026, 12, 31)).valid for data in signed)


def run(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        signed, folder, signer = documents(count, Path(tmp))
        prepared = _bare(signed)
        public = signer.public_key()
        assert isinstance(public, ec.EllipticCurvePublicKey)
        started = time.perf_counter()
        for info, der in prepared:
            public.verify(der, info, ec.ECDSA(hashes.SHA256()))
        bare_s = time.perf_counter() - started

        started = time.perf_counter()
        valid = _verify_all(signed, str(folder))
        verify_s = time.perf_counter() - started
        assert valid == count, f"{count - valid} of {count} did not verify"

        halves = [signed[: count // 2], signed[count // 2 :]]
        started = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            parallel_valid = sum(pool.map(_verify_all, halves, [str(folder)] * 2))
        parallel_s = time.perf_counter() - started
        assert parallel_valid == count
        size = sum(map(len, signed)) / count
    return {
        "count": count,
        "bytes": size,
        "verify_per_s": count / verify_s,
        "bare_per_s": count / bare_s,
        "ratio": (count / verify_s) / (count / bare_s),
        "parallel_per_s": count / parallel_s,
    }


def claim_tables(count: int, seed: int = 7) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``count`` certificates with their items, and ``count`` claim lines against them."""
    rng = np.random.default_rng(seed)
    numbers = np.char.add("C", np.arange(count).astype(str))
    issued = np.datetime64("2025-01-01") + rng.integers(0, 700, count)
    hs = np.array([f"{h:06d}" for h in rng.integers(10000, 970000, 5000)])
    certificates = pa.table(
        {
            "number": numbers,
            "agreement": rng.choice(["KR-CN", "RCEP", "AKFTA"], count),
            "status": rng.choice(["received", "utilised", "cancelled"], count, p=[0.8, 0.18, 0.02]),
            "valid_until": pa.array(issued + 364, pa.date32()),
            "importer_id": np.char.add("IM", rng.integers(0, 50000, count).astype(str)),
            "retroactive": rng.random(count) < 0.05,
            "third_country_invoice": rng.random(count) < 0.1,
            "retroactive_allowed": pa.array(rng.random(count) < 0.7),
            "third_country_invoicing": pa.array(rng.random(count) < 0.8),
        },
        schema=claims_module.CERTIFICATE_SCHEMA,
    )
    per = rng.integers(1, 4, count)
    owner = np.repeat(np.arange(count), per)
    sequence = np.arange(len(owner)) - np.repeat(np.cumsum(per) - per, per) + 1
    item_hs = hs[rng.integers(0, len(hs), len(owner))]
    item_origin = rng.choice(["KR", "CN", "VN"], len(owner), p=[0.6, 0.3, 0.1])
    decimal = pa.decimal128(20, 4)
    items = pa.table(
        {
            "number": numbers[owner],
            "sequence": pa.array(sequence, pa.int32()),
            "hs_code": item_hs,
            "origin_country": item_origin,
            "quantity": pa.array(rng.integers(10, 1000, len(owner)), pa.int32()).cast(decimal),
            "unit": np.full(len(owner), "PCE"),
            "value": pa.array(rng.integers(100, 100000, len(owner)), pa.int32()).cast(decimal),
            "currency": np.full(len(owner), "USD"),
        },
        schema=claims_module.ITEM_SCHEMA,
    )
    target = rng.integers(0, int(count * 1.1), count)  # one in eleven names no certificate
    first_item = np.cumsum(per) - per
    on_record = target < count
    index = pa.array(np.minimum(target, count - 1))
    first = first_item[np.minimum(target, count - 1)]
    hs_of_target = np.where(on_record, item_hs[first], "999999")
    claims = pa.table(
        {
            "declaration": np.char.add("D", np.arange(count).astype(str)),
            "line": pa.array(np.ones(count, dtype=np.int32)),
            "date": pa.array(issued[np.minimum(target, count - 1)] + rng.integers(0, 380, count),
                             pa.date32()),
            "agreement": certificates["agreement"].take(index),
            "certificate": np.char.add("C", target.astype(str)),
            "importer_id": certificates["importer_id"].take(index),
            "hs_code": hs_of_target,
            "origin_country": np.where(rng.random(count) < 0.97, item_origin[first], "XX"),
            "quantity": pa.array(rng.integers(1, 600, count), pa.int32()).cast(decimal),
            "unit": np.full(count, "PCE"),
            "value": pa.array(rng.integers(50, 60000, count), pa.int32()).cast(decimal),
            "currency": np.full(count, "USD"),
            "item": pa.nulls(count, pa.int32()),
        },
        schema=claims_module.CLAIM_SCHEMA,
    )  # fmt: skip
    return claims, certificates, items


def run_claims(count: int) -> dict[str, float]:
    claims, certificates, items = claim_tables(count)
    con = ibis.duckdb.connect()
    c, k, i = (
        con.create_table(n, t) for n, t in (("c", claims), ("k", certificates), ("i", items))
    )
    started = time.perf_counter()
    bare = c.left_join(k, c.certificate == k.number).left_join(i, c.certificate == i.number)
    bare_rows = con.to_pyarrow(bare).num_rows
    bare_s = time.perf_counter() - started
    started = time.perf_counter()
    outcome = con.to_pyarrow(claims_module.match_table(c, k, i))
    match_s = time.perf_counter() - started
    assert outcome.num_rows == count, (outcome.num_rows, count)
    results = outcome.group_by("result").aggregate([("line", "count")]).to_pylist()
    shares = {r["result"]: r["line_count"] / count for r in results}
    return {
        "claims": count, "items": items.num_rows, "match_s": match_s, "bare_s": bare_s,
        "bare_rows": bare_rows, "claims_ratio": bare_s / match_s,
        "covered": shares.get("covered", 0.0), "partly": shares.get("partly_covered", 0.0),
        "refused": shares.get("refused", 0.0),
    }  # fmt: skip


def report(r: dict[str, float]) -> str:
    verdict = "meets" if r["verify_per_s"] >= 200 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Verifying certificates of origin (`bench/origin.py`)",
            "",
            f"{int(r['count']):,} distinct signed UBL certificates of origin (1 to 8 goods "
            f"items, {r['bytes']:,.0f} bytes on average; ECDSA P-256, SHA-256), signed by an "
            f"authority its root certifies; the trust list holds the root; {os.cpu_count()} "
            "cores.",
            "",
            "| measure | certificates per second | target |",
            "|---|---|---|",
            f"| whole verification, one process | {r['verify_per_s']:,.0f} | ≥ 200 ({verdict}) |",
            f"| whole verification, two processes | {r['parallel_per_s']:,.0f} | |",
            f"| bare signature verification (baseline) | {r['bare_per_s']:,.0f} | |",
            f"| ratio whole / bare | {r['ratio']:.3f} | |",
            "",
            "The whole verification parses the bytes, validates them against the UBL 2.4 "
            "schema, finds the signer in the trust list, recomputes the digest over the "
            "canonical document and checks the signature value, then the validity dates and "
            "revocation on the signing date. The baseline is only the last public-key check, "
            "with the canonical SignedInfo prepared beforehand.",
            "",
            *_claims_report(r),
            f"<!-- {MARK} end -->",
        ]
    )


def _claims_report(r: dict[str, float]) -> list[str]:
    verdict = "meets" if r["match_s"] < 60 else "MISSES"
    return [
        f"**Preference claims.** {int(r['claims']):,} claim lines against {int(r['claims']):,} "
        f"certificates ({int(r['items']):,} goods items), every rule of `core.origin.claims` "
        "with drawdown in date order, on DuckDB in one process; outcomes: "
        f"{r['covered']:.0%} covered, {r['partly']:.0%} partly covered, {r['refused']:.0%} "
        "refused.",
        "",
        "| measure | seconds | target |",
        "|---|---|---|",
        f"| match and draw down | {r['match_s']:.1f} | < 60 ({verdict}) |",
        f"| bare join of claims, certificates and items (baseline, {int(r['bare_rows']):,} "
        f"rows) | {r['bare_s']:.1f} | |",
        f"| ratio bare / match | {r['claims_ratio']:.2f} | |",
    ]


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--certificates", type=int, default=2000)
        parser.add_argument("--claims", type=int, default=1_000_000)

    def section(args: argparse.Namespace) -> str:
        return report({**run(args.certificates), **run_claims(args.claims)})

    return cli(__doc__ or "", MARK, options, section, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
