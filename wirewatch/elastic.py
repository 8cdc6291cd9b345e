"""Elasticsearch clients that also work against OpenSearch-flavoured servers.

The official client sends ``application/vnd.elasticsearch+json; compatible-with=N``, which
OpenSearch (and the embedded osmem) refuse with 406. We ask the server what it is
(``GET /``) and, for OpenSearch, use node classes that send plain ``application/json`` and
``application/x-ndjson`` — the same client then serves both distributions.
"""

from __future__ import annotations

import logging
from typing import Any

from elastic_transport import (
    AiohttpHttpNode,
    HttpHeaders,
    TransportError,
    Urllib3HttpNode,
)
from elastic_transport._models import DefaultType
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT
from elasticsearch import ApiError as EsApiError
from elasticsearch import AsyncElasticsearch, Elasticsearch

from wirewatch.errors import ServiceError
from wirewatch.settings import ElasticsearchSettings

log = logging.getLogger(__name__)


def _plain_media_types(headers: HttpHeaders | None) -> HttpHeaders | None:
    if not headers:
        return headers
    plain = HttpHeaders(headers)
    for name in ("accept", "content-type"):
        value = plain.get(name)
        if value and "vnd.elasticsearch" in value:
            plain[name] = "application/x-ndjson" if "x-ndjson" in value else "application/json"
    return plain


class OpenSearchCompatNode(Urllib3HttpNode):
    """A sync node that speaks plain JSON media types."""

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        return super().perform_request(
            method,
            target,
            body=body,
            headers=_plain_media_types(headers),
            request_timeout=request_timeout,
        )


class AsyncOpenSearchCompatNode(AiohttpHttpNode):
    """An async node that speaks plain JSON media types."""

    async def perform_request(  # type: ignore[override]  # async node of a sync-typed base
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        return await super().perform_request(
            method,
            target,
            body=body,
            headers=_plain_media_types(headers),
            request_timeout=request_timeout,
        )


def _client_options(settings: ElasticsearchSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "request_timeout": settings.request_timeout,
        "verify_certs": settings.verify_certs,
    }
    if settings.api_key is not None:
        options["api_key"] = settings.api_key.get_secret_value()
    elif settings.username:
        password = settings.password.get_secret_value() if settings.password else ""
        options["basic_auth"] = (settings.username, password)
    if settings.ca_certs is not None:
        options["ca_certs"] = str(settings.ca_certs)
    return options


def detect_distribution(url: str, settings: ElasticsearchSettings) -> str:
    """``elasticsearch`` or ``opensearch``, from the server's own ``GET /``."""
    # Plain media types are accepted by both, so the probe itself never gets a 406.
    probe = Elasticsearch(url, node_class=OpenSearchCompatNode, **_client_options(settings))
    try:
        info = probe.perform_request("GET", "/").body
    except (TransportError, EsApiError) as exc:
        raise ServiceError(f"Elasticsearch at {url} does not answer: {exc}") from exc
    finally:
        probe.close()
    version = info.get("version", {}) if isinstance(info, dict) else {}
    distribution = str(version.get("distribution", "elasticsearch"))
    log.debug(
        "search server identified",
        extra={"url": url, "distribution": distribution, "version": version.get("number")},
    )
    return "opensearch" if distribution == "opensearch" else "elasticsearch"


def make_client(url: str, settings: ElasticsearchSettings) -> Elasticsearch:
    """A sync client for ``url`` with the node class its distribution needs."""
    options = _client_options(settings)
    if detect_distribution(url, settings) == "opensearch":
        options["node_class"] = OpenSearchCompatNode
    return Elasticsearch(url, **options)


def make_async_client(url: str, settings: ElasticsearchSettings) -> AsyncElasticsearch:
    """An async client for ``url`` with the node class its distribution needs."""
    options = _client_options(settings)
    options["node_class"] = (
        AsyncOpenSearchCompatNode
        if detect_distribution(url, settings) == "opensearch"
        else AiohttpHttpNode
    )
    return AsyncElasticsearch(url, **options)
