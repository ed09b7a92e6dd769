"""Time the change analysers against the cost of only parsing their input.

Each series runs the analyser and its baseline interleaved, over inputs
generated here:

- plan: a Terraform plan of N resources, a quarter each of S3 buckets,
  their encryption configurations, security groups and databases. The
  baseline is `json.loads` and the analyser `parse_plan`.
- migrations: one script of N statements (index builds, column additions,
  constraints); baseline `sqlglot.parse` of the whole script, analyser
  `analyze_migrations` (tokenize, parse each statement, classify);
- openapi: two descriptions of N paths with one changed response each;
  baseline `yaml.safe_load` of both, analyser loading and diffing both.

Run: `.venv/bin/python benchmarks/change_analysis.py --size 1000 --rounds 5`.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlglot
import yaml

from releasegate.analysis.migrations import ScriptInput, analyze_migrations
from releasegate.analysis.openapi import diff_descriptions, load_description
from releasegate.analysis.terraform import parse_plan


def _plan(size: int) -> bytes:
    changes: list[dict[str, Any]] = []
    config: list[dict[str, Any]] = []
    for i in range(size // 4):
        bucket = f"aws_s3_bucket.b{i}"
        entries = [
            (bucket, {"bucket": f"b{i}", "tags": {}}),
            (f"aws_s3_bucket_server_side_encryption_configuration.b{i}",
             {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms",
                                                                      "kms_master_key_id": "k"}]}]}),
            (f"aws_security_group.s{i}", {"ingress": [{"cidr_blocks": ["10.0.0.0/8"], "from_port": 443,
                                                        "to_port": 443, "protocol": "tcp"}], "tags": {}}),
            (f"aws_db_instance.d{i}", {"storage_encrypted": True, "kms_key_id": "k",
                                       "backup_retention_period": 7, "tags": {}}),
        ]
        for address, after in entries:
            type_, name = address.split(".")
            changes.append({"address": address, "mode": "managed", "type": type_, "name": name,
                            "change": {"actions": ["create"], "after": after, "after_unknown": {}}})
            refs = {"bucket": {"references": [f"{bucket}.id", bucket]}} if "_configuration" in address else {}
            config.append({"address": address, "type": type_, "provider_config_key": "aws",
                           "expressions": refs})
    return json.dumps({
        "format_version": "1.2", "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"expressions": {
            "region": {"constant_value": "eu-west-1"}}}}, "root_module": {"resources": config}},
    }).encode()


def _migration(size: int) -> str:
    forms = [
        "CREATE INDEX CONCURRENTLY t{i}_idx ON t{i} (c);",
        "ALTER TABLE t{i} ADD COLUMN c{i} text;",
        "ALTER TABLE t{i} ADD CONSTRAINT t{i}_fk FOREIGN KEY (a) REFERENCES r (id) NOT VALID;",
        "ALTER TABLE t{i} VALIDATE CONSTRAINT t{i}_fk;",
    ]
    return "\n".join(forms[i % len(forms)].format(i=i) for i in range(size))


def _description(size: int, *, required: str) -> bytes:
    paths = {
        f"/r{i}/{{id}}": {"get": {"parameters": [{"in": "path", "name": "id", "required": True,
                                                   "schema": {"type": "string"}}],
                                   "responses": {"200": {"description": "ok", "content": {"application/json": {
                                       "schema": {"type": "object", "required": [required],
                                                  "properties": {"id": {"type": "string"},
                                                                 "s": {"type": "string"}}}}}}}}}
        for i in range(size)
    }
    return yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "b", "version": "1"},
                           "paths": paths}).encode()


def _time(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _series(name: str, baseline: Callable[[], object], analyser: Callable[[], object],
            rounds: int) -> None:
    base_times, analyser_times = [], []
    for _ in range(rounds):
        base_times.append(_time(baseline))
        analyser_times.append(_time(analyser))
    base, analysed = statistics.median(base_times), statistics.median(analyser_times)
    print(f"{name:<11} baseline {base * 1000:9.1f} ms   analyser {analysed * 1000:9.1f} ms   "
          f"ratio {analysed / base:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="resources, statements or paths")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median counts")
    args = parser.parse_args()
    # sqlglot logs every statement it keeps as an opaque command; the analyser silences it too.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)

    print(f"machine: {platform.machine()} {platform.processor() or ''} {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, sqlglot {sqlglot.__version__}")
    print(f"size {args.size}, median of {args.rounds} rounds")

    plan = _plan(args.size)
    _series("plan", lambda: json.loads(plan), lambda: parse_plan(plan, source="plan.json"), args.rounds)

    sql = _migration(args.size)
    script = [ScriptInput("V1", sql, None, source="V1.sql")]
    _series("migrations", lambda: sqlglot.parse(sql, read="postgres"),
            lambda: analyze_migrations(script), args.rounds)

    base = _description(args.size, required="s")
    revision = _description(args.size, required="id")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _series("openapi", lambda: (yaml.load(base, Loader=loader), yaml.load(revision, Loader=loader)),
            lambda: diff_descriptions(load_description(base, source="b"),
                                      load_description(revision, source="r")), args.rounds)


if __name__ == "__main__":
    main()
