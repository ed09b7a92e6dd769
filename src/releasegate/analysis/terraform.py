"""Normalize `terraform show -json` plans into provider-neutral resources.

The guardrails IAC-1 to IAC-9 are Rego over the normalized resources (see
docs/policy-input.md, "Infrastructure plans"); this module only reads the
plan. It maps each managed resource to a category and the properties the
guardrails check, joins the companion resources the AWS provider splits
settings into (bucket encryption, public access blocks, versioning), and
lists every property whose value Terraform computes only during apply.

Terraform's plan format is JSON with a documented schema, so it is read with
the standard JSON parser; the mapping from resource types to properties is
this project's own and is written out below. AWS is mapped first; other
providers' resources still get their region and tags, under category
`other`, so IAC-3 and IAC-7 cover them.

Normalization rules: an empty list, an empty object, an empty string, null
and an absent key all read as "not set". A value marked unknown in
`after_unknown` (at its own path or any path above it) is neither set nor
unset: the property's dotted path goes into the resource's `unknown` list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from releasegate.evidence.interface import EvidenceError, decode_utf8, reject_empty
from releasegate.model.change import IacPlanReport

_UNKNOWN = object()
"""Marker for a value that Terraform computes only during apply."""

_ACTIONS: dict[tuple[str, ...], str] = {
    ("no-op",): "no-op",
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("forget",): "forget",
    ("create", "forget"): "replace",
}

_PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})

# Minimum TLS version of AWS load balancer security policies, by name pattern.
_TLS_POLICIES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"TLS13-1-3"), 1.3),
    (re.compile(r"TLS13-1-2|TLS-1-2|FS-1-2|TLS13-1-2-Res"), 1.2),
    (re.compile(r"TLS-1-1|FS-1-1|TLS13-1-1"), 1.1),
    (re.compile(r"TLS13-1-0|2016-08|2015-05|TLS-1-0|FS-2018-06"), 1.0),
)

_GLOBAL_TYPES = re.compile(r"^aws_(iam_|cloudfront_|route53_|organizations_|shield_)")


@dataclass
class _Values:
    """The planned values of one resource with their unknown marks."""

    values: Any
    unknown: Any

    def get(self, path: str) -> Any:
        """Return the value at a dotted path, `_UNKNOWN`, or None when it is not set.

        A list step may be a number or `*` for "the first element", which is how
        the AWS provider nests single blocks.
        """
        value, mark = self.values, self.unknown
        for step in path.split("."):
            if mark is True:
                return _UNKNOWN
            key: int | str = step
            if step == "*":
                key = 0
            elif step.isdigit():
                key = int(step)
            value = _step(value, key)
            mark = _step(mark, key)
        if mark is True or (_contains_unknown_leaf(mark) and _blank(value)):
            return _UNKNOWN
        return None if _blank(value) else value


def _step(node: Any, key: int | str) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and len(node) > key else None
    return node.get(key) if isinstance(node, dict) else None


def _contains_unknown_leaf(mark: Any) -> bool:
    if mark is True:
        return True
    if isinstance(mark, dict):
        return any(_contains_unknown_leaf(v) for v in mark.values())
    if isinstance(mark, list):
        return any(_contains_unknown_leaf(v) for v in mark)
    return False


def _blank(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


@dataclass
class _Resource:
    address: str
    config_address: str
    module: str
    type: str
    provider_key: str | None
    action: str
    values: _Values
    references: dict[str, list[str]]
    document: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def get(self, path: str, *, into: str | None = None) -> Any:
        """Read a planned value; an unknown one is recorded under the property `into`."""
        value = self.values.get(path)
        if value is _UNKNOWN:
            if into is not None and into not in self.unknown:
                self.unknown.append(into)
            return None
        return value


@dataclass
class _Plan:
    resources: list[_Resource]
    by_address: dict[str, _Resource]
    provider_regions: dict[str, Any]
    default_tags: dict[str, Any]
    default_region: str | None
    by_type: dict[str, list[_Resource]] = field(default_factory=dict)
    companion_index: dict[
        tuple[str, str], tuple[dict[str, list[_Resource]], dict[str, list[_Resource]]]
    ] = field(default_factory=dict)


# --- reading -------------------------------------------------------------------


def parse_plan(data: bytes, *, source: str, default_region: str | None = None) -> IacPlanReport:
    """Normalize the plan in `data`; raise EvidenceError for anything that is not a plan.

    `default_region` is the region Terraform's AWS provider takes from the
    environment when the configuration names none (for example AWS_REGION in
    the pipeline).
    """
    reject_empty(data, source=source)
    try:
        document = json.loads(decode_utf8(data, source=source))
    except json.JSONDecodeError as error:
        raise EvidenceError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            source=source,
            hint="Attach the output of `terraform show -json PLANFILE`, unchanged.",
        ) from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise EvidenceError(
            "not a Terraform plan: the document has no format_version",
            source=source,
            hint="Attach the output of `terraform show -json PLANFILE`.",
        )
    if "resource_changes" not in document and "planned_values" not in document:
        shape = "a Terraform state (it has 'values')" if "values" in document else "no plan"
        raise EvidenceError(
            f"not a Terraform plan: the document is {shape}, with neither resource_changes "
            "nor planned_values",
            source=source,
            field="resource_changes",
            hint="Save the plan with `terraform plan -out PLANFILE` and attach "
            "`terraform show -json PLANFILE`; the JSON of a state shows no change.",
        )
    version = str(document["format_version"])
    if not re.match(r"^[01]\.\d+$", version):
        raise EvidenceError(
            f"plan format_version {version} is not supported (1.x and 0.x are)",
            source=source,
            field="format_version",
            hint="Produce the plan JSON with Terraform 0.12 or later, up to 1.x.",
        )
    changes = document.get("resource_changes", [])
    if not isinstance(changes, list):
        raise EvidenceError(
            "resource_changes is not a list",
            source=source,
            field="resource_changes",
            hint="Attach the plan JSON exactly as Terraform wrote it.",
        )

    warnings: list[str] = []
    plan = _index(document, changes, source=source, default_region=default_region)
    for resource in plan.resources:
        resource.document = _normalize(resource, plan)
    complete = document.get("errored") is not True and document.get("complete") is not False
    if not complete:
        warnings.append("Terraform reported the plan as errored or incomplete")
    return IacPlanReport(
        terraform_version=document.get("terraform_version"),
        complete=complete,
        resources=tuple(r.document for r in plan.resources),
        warnings=tuple(warnings),
    )


def _index(
    document: dict[str, Any], changes: list[Any], *, source: str, default_region: str | None
) -> _Plan:
    configuration = document.get("configuration") or {}
    references: dict[str, dict[str, list[str]]] = {}
    provider_keys: dict[str, str] = {}
    for prefix, resource in _config_resources(configuration.get("root_module") or {}, ""):
        address = prefix + str(resource.get("address", ""))
        provider_keys[address] = str(resource.get("provider_config_key", ""))
        references[address] = {
            key: [prefix + ref for ref in refs]
            for key, refs in _expression_references(resource.get("expressions") or {}).items()
        }

    provider_regions: dict[str, Any] = {}
    default_tags: dict[str, Any] = {}
    for key, provider in (configuration.get("provider_config") or {}).items():
        expressions = provider.get("expressions") or {}
        region = expressions.get("region")
        if isinstance(region, dict):
            provider_regions[key] = region.get("constant_value", _UNKNOWN)
        tags_block = expressions.get("default_tags")
        if isinstance(tags_block, list) and tags_block:
            tags = (tags_block[0].get("tags") or {}).get("constant_value")
            default_tags[key] = tags if isinstance(tags, dict) else _UNKNOWN

    resources: list[_Resource] = []
    for position, change in enumerate(changes):
        where = f"resource_changes[{position}]"
        if not isinstance(change, dict) or not isinstance(change.get("change"), dict):
            raise EvidenceError(
                "entry is not a resource change",
                source=source,
                field=where,
                hint="Attach the plan JSON exactly as Terraform wrote it.",
            )
        if change.get("mode", "managed") != "managed":
            continue  # data sources are read, not changed
        actions = tuple(change["change"].get("actions") or ())
        action = _ACTIONS.get(actions)
        if action is None:
            raise EvidenceError(
                f"unknown action list {list(actions)}",
                source=source,
                field=f"{where}.change.actions",
                hint="Plan with a Terraform version whose plan actions releasegate reads (up to 1.x).",
            )
        body = change["change"]
        values = body.get("before") if action in ("delete", "forget") else body.get("after")
        unknown = {} if action in ("delete", "forget") else body.get("after_unknown")
        address = str(change.get("address", ""))
        config_address = re.sub(r"\[[^\]]*\]", "", address)
        resources.append(
            _Resource(
                address=address,
                config_address=config_address,
                module=str(change.get("module_address", "")),
                type=str(change.get("type", "")),
                provider_key=provider_keys.get(config_address),
                action=action,
                values=_Values(values if isinstance(values, dict) else {}, unknown or {}),
                references=references.get(config_address, {}),
            )
        )
    by_type: dict[str, list[_Resource]] = {}
    for indexed in resources:
        by_type.setdefault(indexed.type, []).append(indexed)
    return _Plan(
        by_type=by_type,
        resources=resources,
        by_address={r.config_address: r for r in resources},
        provider_regions=provider_regions,
        default_tags=default_tags,
        default_region=default_region,
    )


def _config_resources(module: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for resource in module.get("resources") or []:
        if isinstance(resource, dict):
            yield prefix, resource
    for name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, dict):
            yield from _config_resources(call.get("module") or {}, f"{prefix}module.{name}.")


def _expression_references(expressions: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, expression in expressions.items():
        nodes = expression if isinstance(expression, list) else [expression]
        for node in nodes:
            if isinstance(node, dict) and isinstance(node.get("references"), list):
                found.setdefault(key, []).extend(str(r) for r in node["references"])
    return found


# --- normalizing -----------------------------------------------------------------


def _normalize(resource: _Resource, plan: _Plan) -> dict[str, Any]:
    mapper = _MAPPERS.get(resource.type)
    if mapper:
        category = mapper[0]
    elif resource.type.startswith("aws_iam_"):
        category = "iam"
    else:
        category = "other"
    document: dict[str, Any] = {
        "address": resource.address,
        "type": resource.type,
        "module": resource.module or None,
        "category": category,
        "action": resource.action,
    }
    if resource.action not in ("delete", "forget"):
        document["region"] = _region(resource, plan)
        tags = _tags(resource, plan)
        if tags is not None:
            document["tags"] = tags
        if mapper is not None:
            mapper[1](resource, plan, document)
    document["unknown"] = sorted(resource.unknown)
    return document


def _region(resource: _Resource, plan: _Plan) -> str | None:
    if _GLOBAL_TYPES.match(resource.type):
        return None
    own = resource.values.get("region")
    if isinstance(own, str):
        return own
    configured = _provider_setting(plan.provider_regions, resource)
    if isinstance(configured, str):
        return configured
    if configured is _UNKNOWN or own is _UNKNOWN:
        resource.unknown.append("region")
        return None
    if plan.default_region:
        return plan.default_region
    resource.unknown.append("region")
    return None


def _provider_setting(settings: dict[str, Any], resource: _Resource) -> Any:
    """Return the setting of the provider block that configures `resource`, or None.

    A resource in a child module names its provider as `module.NAME:aws` or
    inherits the root's `aws`; the provider is the one whose key matches, or
    else the only block of that provider.
    """
    key = resource.provider_key or ""
    if key in settings:
        return settings[key]
    local = key.rsplit(":", 1)[-1]
    if local in settings:
        return settings[local]
    provider = resource.type.split("_", 1)[0]
    candidates = [k for k in settings if k.rsplit(":", 1)[-1].split(".", 1)[0] == provider]
    return settings[candidates[0]] if len(candidates) == 1 else None


def _tags(resource: _Resource, plan: _Plan) -> dict[str, Any] | None:
    raw = resource.values.values
    marks = resource.values.unknown
    taggable = isinstance(raw, dict) and ("tags" in raw or "tags_all" in raw)
    if not taggable:
        return None
    if isinstance(marks, dict) and marks.get("tags") is True:
        resource.unknown.append("tags")
        return {}
    defaults = _provider_setting(plan.default_tags, resource)
    if defaults is None:
        defaults = {}
    if defaults is _UNKNOWN:
        resource.unknown.append("tags")
        return {}
    tags = dict(defaults)
    tags.update(raw.get("tags") or {})
    return {str(k): v for k, v in tags.items()}


def _companions(
    resource: _Resource, plan: _Plan, companion_type: str, key: str = "bucket"
) -> list[_Resource]:
    """Return the resources of `companion_type` that configure `resource` through attribute `key`.

    A companion names its target by a reference in the configuration
    (`aws_s3_bucket.x.id`) or, failing that, by the target's planned value.
    """
    by_reference, by_value = _companion_index(plan, companion_type, key)
    found = list(by_reference.get(resource.config_address, []))
    own_name = resource.values.get(key)
    if isinstance(own_name, str):
        found.extend(c for c in by_value.get(own_name, []) if c not in found)
    return found


def _companion_index(
    plan: _Plan, companion_type: str, key: str
) -> tuple[dict[str, list[_Resource]], dict[str, list[_Resource]]]:
    cached = plan.companion_index.get((companion_type, key))
    if cached is not None:
        return cached
    by_reference: dict[str, list[_Resource]] = {}
    by_value: dict[str, list[_Resource]] = {}
    for other in plan.by_type.get(companion_type, []):
        if other.action in ("delete", "forget"):
            continue
        targets = {_resource_address(ref) for ref in other.references.get(key, [])}
        for target in targets:
            by_reference.setdefault(target, []).append(other)
        value = other.values.get(key)
        if not targets and isinstance(value, str):
            by_value.setdefault(value, []).append(other)
    plan.companion_index[(companion_type, key)] = (by_reference, by_value)
    return by_reference, by_value


def _resource_address(reference: str) -> str:
    """Return the resource address a reference points into (`aws_s3_bucket.x.id` to `aws_s3_bucket.x`)."""
    parts = re.sub(r"\[[^\]]*\]", "", reference).split(".")
    position = 0
    while position + 1 < len(parts) and parts[position] == "module":
        position += 2
    return ".".join(parts[: position + 2])


def _key_type(algorithm: Any, key_id: Any) -> str:
    if isinstance(algorithm, str) and algorithm.startswith("aws:kms"):
        return "customer_managed" if key_id else "provider_managed"
    return "provider_default"


def _s3_bucket(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    # Encryption: a companion configuration wins over the legacy inline block.
    sse = _companions(resource, plan, "aws_s3_bucket_server_side_encryption_configuration")
    if sse:
        rule = sse[0].values.get("rule.*.apply_server_side_encryption_by_default.*")
        algorithm = sse[0].get(
            "rule.*.apply_server_side_encryption_by_default.*.sse_algorithm",
            into="encryption.key_type",
        )
        key_id = sse[0].get(
            "rule.*.apply_server_side_encryption_by_default.*.kms_master_key_id",
            into="encryption.key_type",
        )
        if rule is _UNKNOWN:
            resource.unknown.append("encryption.at_rest")
        document["encryption"] = {"at_rest": True, "key_type": _key_type(algorithm, key_id)}
    else:
        inline = resource.values.get("server_side_encryption_configuration")
        if inline is _UNKNOWN:
            # Computed by the provider; without a configuration resource the
            # bucket keeps the service default, SSE-S3, which is known now.
            document["encryption"] = {"at_rest": True, "key_type": "provider_default"}
        else:
            algorithm = resource.get(
                "server_side_encryption_configuration.*.rule.*.apply_server_side_encryption_by_default.*.sse_algorithm",
                into="encryption.key_type",
            )
            key_id = resource.get(
                "server_side_encryption_configuration.*.rule.*.apply_server_side_encryption_by_default.*.kms_master_key_id",
                into="encryption.key_type",
            )
            document["encryption"] = {"at_rest": True, "key_type": _key_type(algorithm, key_id)}

    # Public access: a public ACL exposes it; a complete public access block closes it.
    blocks = _companions(resource, plan, "aws_s3_bucket_public_access_block")
    flags = (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )
    acl_companions = _companions(resource, plan, "aws_s3_bucket_acl")
    acl = acl_companions[0].values.get("acl") if acl_companions else resource.values.get("acl")
    if isinstance(acl, str) and acl in _PUBLIC_ACLS:
        document["public"] = True
    elif blocks:
        values = [blocks[0].values.get(flag) for flag in flags]
        if any(v is _UNKNOWN for v in values):
            resource.unknown.append("public")
            document["public"] = None
        else:
            document["public"] = not all(v is True for v in values)
    elif acl is _UNKNOWN:
        resource.unknown.append("public")
        document["public"] = None
    else:
        document["public"] = None  # not stated: no public access block

    # Backups: object versioning, kept as long as a lifecycle rule sets.
    versioning = _companions(resource, plan, "aws_s3_bucket_versioning")
    if versioning:
        status = versioning[0].get("versioning_configuration.*.status", into="backup.enabled")
        enabled = status == "Enabled"
    else:
        enabled = resource.get("versioning.*.enabled", into="backup.enabled") is True
    lifecycle = _companions(resource, plan, "aws_s3_bucket_lifecycle_configuration")
    days = None
    if lifecycle:
        days = lifecycle[0].get(
            "rule.*.noncurrent_version_expiration.*.noncurrent_days", into="backup.retention_days"
        )
    document["backup"] = {"enabled": enabled, "retention_days": days}


def _ebs_volume(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    encrypted = resource.get("encrypted", into="encryption.at_rest")
    key_id = resource.get("kms_key_id", into="encryption.key_type")
    document["encryption"] = {
        "at_rest": encrypted is True,
        "key_type": "customer_managed" if key_id else "provider_managed",
    }
    document["public"] = False
    document["backup"] = {"enabled": False, "retention_days": None}


def _db_instance(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    encrypted = resource.get("storage_encrypted", into="encryption.at_rest")
    key_id = resource.get("kms_key_id", into="encryption.key_type")
    document["encryption"] = {
        "at_rest": encrypted is True,
        "key_type": "customer_managed" if key_id else "provider_managed",
    }
    public = resource.get("publicly_accessible", into="public")
    document["public"] = public is True
    days = resource.get("backup_retention_period", into="backup.retention_days")
    if "backup.retention_days" in resource.unknown:
        resource.unknown.append("backup.enabled")
    document["backup"] = {
        "enabled": isinstance(days, int) and days > 0,
        "retention_days": days if isinstance(days, int) else None,
    }
    exports = resource.get("enabled_cloudwatch_logs_exports", into="audit_log.enabled")
    document["audit_log"] = {"enabled": bool(exports), "immutable": _trail_immutable(plan)}


def _dynamodb_table(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    enabled = resource.get("server_side_encryption.*.enabled", into="encryption.key_type")
    key_id = resource.get("server_side_encryption.*.kms_key_arn", into="encryption.key_type")
    if not enabled:
        key_type = "provider_default"
    elif key_id:
        key_type = "customer_managed"
    else:
        key_type = "provider_managed"
    document["encryption"] = {"at_rest": True, "key_type": key_type}
    document["public"] = False
    pitr = resource.get("point_in_time_recovery.*.enabled", into="backup.enabled")
    period = resource.get(
        "point_in_time_recovery.*.recovery_period_in_days", into="backup.retention_days"
    )
    document["backup"] = {
        "enabled": pitr is True,
        "retention_days": (period or 35) if pitr is True else None,
    }
    document["audit_log"] = {"enabled": _trail_enabled(plan), "immutable": _trail_immutable(plan)}


def _kms_key(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    document["rotation"] = resource.get("enable_key_rotation", into="rotation") is True
    document["audit_log"] = {"enabled": _trail_enabled(plan), "immutable": _trail_immutable(plan)}


def _cloudtrail(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    logging = resource.values.get("enable_logging")
    if logging is _UNKNOWN:
        resource.unknown.append("audit_log.enabled")
    validation = resource.get("enable_log_file_validation", into="audit_log.immutable")
    document["audit_log"] = {"enabled": logging is not False, "immutable": validation is True}
    document["multi_region"] = resource.get("is_multi_region_trail", into="multi_region") is True


def _trails(plan: _Plan) -> list[_Resource]:
    trails = plan.by_type.get("aws_cloudtrail", [])
    return [r for r in trails if r.action not in ("delete", "forget")]


def _trail_enabled(plan: _Plan) -> bool:
    return any(t.values.get("enable_logging") is not False for t in _trails(plan))


def _trail_immutable(plan: _Plan) -> bool:
    return any(t.values.get("enable_log_file_validation") is True for t in _trails(plan))


def _security_group(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    rules = resource.values.get("ingress")
    if rules is _UNKNOWN:
        resource.unknown.append("ingress")
        document["ingress"] = []
        return
    ingress = []
    for position, rule in enumerate(rules or []):
        cidrs: list[str] = []
        for key in ("cidr_blocks", "ipv6_cidr_blocks"):
            value = resource.values.get(f"ingress.{position}.{key}")
            if value is _UNKNOWN:
                resource.unknown.append("ingress")
            cidrs.extend(value or [] if value is not _UNKNOWN else [])
        ingress.append(
            _ingress(cidrs, rule.get("from_port"), rule.get("to_port"), rule.get("protocol"))
        )
    document["ingress"] = ingress


def _security_group_rule(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    if resource.type == "aws_security_group_rule" and resource.values.get("type") != "ingress":
        document["ingress"] = []
        return
    cidrs: list[str] = []
    keys = ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6")
    for key in keys:
        value = resource.values.get(key)
        if value is _UNKNOWN:
            resource.unknown.append("ingress")
        elif isinstance(value, list):
            cidrs.extend(value)
        elif isinstance(value, str):
            cidrs.append(value)
    protocol = resource.values.get("protocol") or resource.values.get("ip_protocol")
    document["ingress"] = [
        _ingress(cidrs, resource.values.get("from_port"), resource.values.get("to_port"), protocol)
    ]


def _ingress(cidrs: list[str], from_port: Any, to_port: Any, protocol: Any) -> dict[str, Any]:
    if str(protocol) in ("-1", "all"):
        from_port, to_port = 0, 65535
    return {
        "cidrs": sorted(set(cidrs)),
        "from_port": from_port if isinstance(from_port, int) else None,
        "to_port": to_port if isinstance(to_port, int) else None,
        "protocol": protocol,
    }


def _lb_listener(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    protocol = resource.get("protocol", into="tls.required")
    redirect = resource.values.get("default_action.*.redirect.*.protocol")
    if str(protocol).upper() == "HTTP" and redirect == "HTTPS":
        document["category"] = "listener_redirect"  # carries no data, only redirects
        return
    required = str(protocol).upper() in ("HTTPS", "TLS")
    policy = resource.get("ssl_policy", into="tls.min_version") if required else None
    document["tls"] = {"required": required, "min_version": _tls_version(policy), "policy": policy}


def _tls_version(policy: Any) -> float | None:
    if not isinstance(policy, str):
        return None
    for pattern, version in _TLS_POLICIES:
        if pattern.search(policy):
            return version
    return None


def _iam_policy_document(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    text = resource.values.get("policy")
    statements: list[dict[str, Any]] = []
    if text is _UNKNOWN:
        resource.unknown.append("iam")
    elif isinstance(text, str):
        statements = _statements(text)
    managed = []
    arn = resource.values.get("policy_arn")
    if arn is _UNKNOWN:
        resource.unknown.append("iam")
    elif isinstance(arn, str):
        managed.append(arn.rsplit("/", 1)[-1])
    for arn in resource.values.get("managed_policy_arns") or []:
        if isinstance(arn, str):
            managed.append(arn.rsplit("/", 1)[-1])
    for position, _inline in enumerate(resource.values.get("inline_policy") or []):
        inline_text = resource.values.get(f"inline_policy.{position}.policy")
        if inline_text is _UNKNOWN:
            resource.unknown.append("iam")
        elif isinstance(inline_text, str):
            statements.extend(_statements(inline_text))
    document["iam"] = {"statements": statements, "managed_policies": managed}


def _statements(text: str) -> list[dict[str, Any]]:
    try:
        policy = json.loads(text)
    except json.JSONDecodeError:
        return [
            {
                "effect": "Allow",
                "actions": ["*"],
                "not_actions": [],
                "resources": ["*"],
                "unreadable": True,
            }
        ]
    raw = policy.get("Statement", []) if isinstance(policy, dict) else []
    result = []
    for statement in raw if isinstance(raw, list) else [raw]:
        if not isinstance(statement, dict):
            continue
        result.append(
            {
                "effect": statement.get("Effect"),
                "actions": _as_list(statement.get("Action")),
                "not_actions": _as_list(statement.get("NotAction")),
                "resources": _as_list(statement.get("Resource")),
            }
        )
    return result


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _log_group(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    days = resource.get("retention_in_days", into="retention_days")
    document["retention_days"] = days if isinstance(days, int) and days > 0 else None


def _autoscaling_group(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    capacity = resource.get("desired_capacity", into="desired_capacity")
    document["desired_capacity"] = capacity
    tags = {
        t.get("key"): t.get("value")
        for t in resource.values.get("tag") or []
        if isinstance(t, dict)
    }
    tags.update(document.get("tags") or {})
    if tags.get("blue-green-group"):
        document["blue_green"] = {
            "group": tags["blue-green-group"],
            "color": tags.get("blue-green-color"),
        }


def _secret(resource: _Resource, plan: _Plan, document: dict[str, Any]) -> None:
    key_id = resource.get("kms_key_id", into="encryption.key_type")
    document["encryption"] = {
        "at_rest": True,
        "key_type": "customer_managed" if key_id else "provider_managed",
    }


_Mapper = Callable[[_Resource, _Plan, dict[str, Any]], None]

_MAPPERS: dict[str, tuple[str, _Mapper]] = {
    "aws_s3_bucket": ("storage", _s3_bucket),
    "aws_ebs_volume": ("storage", _ebs_volume),
    "aws_db_instance": ("database", _db_instance),
    "aws_rds_cluster": ("database", _db_instance),
    "aws_dynamodb_table": ("database", _dynamodb_table),
    "aws_kms_key": ("key_store", _kms_key),
    "aws_cloudtrail": ("audit_trail", _cloudtrail),
    "aws_security_group": ("network_rule", _security_group),
    "aws_security_group_rule": ("network_rule", _security_group_rule),
    "aws_vpc_security_group_ingress_rule": ("network_rule", _security_group_rule),
    "aws_lb_listener": ("listener", _lb_listener),
    "aws_alb_listener": ("listener", _lb_listener),
    "aws_iam_policy": ("iam", _iam_policy_document),
    "aws_iam_role_policy": ("iam", _iam_policy_document),
    "aws_iam_user_policy": ("iam", _iam_policy_document),
    "aws_iam_group_policy": ("iam", _iam_policy_document),
    "aws_iam_role": ("iam", _iam_policy_document),
    "aws_iam_role_policy_attachment": ("iam", _iam_policy_document),
    "aws_iam_user_policy_attachment": ("iam", _iam_policy_document),
    "aws_iam_group_policy_attachment": ("iam", _iam_policy_document),
    "aws_iam_policy_attachment": ("iam", _iam_policy_document),
    "aws_cloudwatch_log_group": ("log_group", _log_group),
    "aws_autoscaling_group": ("compute_group", _autoscaling_group),
    "aws_secretsmanager_secret": ("secret", _secret),
    # Companion resources are folded into the bucket they configure.
    "aws_s3_bucket_server_side_encryption_configuration": ("bucket_setting", lambda *_: None),
    "aws_s3_bucket_public_access_block": ("bucket_setting", lambda *_: None),
    "aws_s3_bucket_versioning": ("bucket_setting", lambda *_: None),
    "aws_s3_bucket_acl": ("bucket_setting", lambda *_: None),
    "aws_s3_bucket_lifecycle_configuration": ("bucket_setting", lambda *_: None),
}


def summary(report: IacPlanReport) -> dict[str, int | str | bool | None]:
    """Counts for the evidence summary."""
    return {
        "resources": len(report.resources),
        "unknown": sum(1 for r in report.resources if r.get("unknown")),
        "complete": report.complete,
    }
