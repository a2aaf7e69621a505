"""Temporal: reachable with the configured TLS / API key, the namespace, its search attributes and retention."""

from __future__ import annotations

from datetime import timedelta

from casefac.settings import Settings
from starters.doctor.report import Check, failed, passed

AREA = "Temporal"
#: Closed cases stay in the case record for good; the UI should show their histories for at least this long.
MIN_RETENTION = timedelta(days=7)
CONNECT_TIMEOUT = timedelta(seconds=5)


async def check_temporal(settings: Settings) -> list[Check]:
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.converter import DataConverter
    from temporalio.service import RPCError

    from casefac import search_attributes as sa
    from casefac.temporal_client import connect_client

    t = settings.temporal
    where = f"{t.address} namespace {t.namespace}" + (" (TLS)" if t.tls or t.api_key else "")
    try:
        # The default converter: the doctor sends no payloads, and the key ring is checked on its own.
        client = await connect_client(settings, data_converter=DataConverter.default,
                                      connect_timeout=CONNECT_TIMEOUT, identity="casefac-doctor")
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=t.namespace), timeout=CONNECT_TIMEOUT)
    except RPCError as exc:
        return [failed(AREA, "reachable", f"{where}: {exc.status.name}",
                       "check CASEFAC_TEMPORAL__NAMESPACE and the API key / client certificate it accepts")]
    except Exception as exc:  # connection refused, TLS handshake, DNS: all mean "not reachable"
        return [failed(AREA, "reachable", f"{where}: {type(exc).__name__}",
                       "start Temporal (`casefac up` locally) or fix CASEFAC_TEMPORAL__ADDRESS, __TLS, __API_KEY "
                       "and the certificate settings")]
    checks = [passed(AREA, "reachable", where)]
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=t.namespace), timeout=CONNECT_TIMEOUT)
        have = {name: int(kind) for name, kind in listed.custom_attributes.items()}
        wrong = [key.name for key in sa.ALL if have.get(key.name) != int(key.indexed_value_type)]
    except RPCError as exc:
        wrong = []
        checks.append(failed(AREA, "search attributes", f"cannot list them: {exc.status.name}",
                             "grant this key the namespace's admin read, or check them in the Cloud UI"))
    else:
        if wrong:
            flags = " ".join(f"--name {k.name} --type {sa.kind_name(k)}" for k in sa.ALL if k.name in wrong)
            checks.append(failed(AREA, "search attributes", "missing or of another type: " + ", ".join(wrong),
                                 f"add them: `temporal operator search-attribute create {flags}` "
                                 "(Temporal Cloud: the namespace's settings)"))
        else:
            checks.append(passed(AREA, "search attributes", f"all {len(sa.ALL)} registered"))
    ttl = described.config.workflow_execution_retention_ttl.ToTimedelta()
    if ttl < MIN_RETENTION:
        checks.append(failed(AREA, "retention", f"{ttl.days} d {ttl.seconds // 3600} h",
                             f"keep closed cases at least {MIN_RETENTION.days} days (30 recommended): `temporal "
                             f"operator namespace update --retention 30d {t.namespace}`"))
    else:
        checks.append(passed(AREA, "retention", f"{ttl.days} days"))
    return checks
