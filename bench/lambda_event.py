"""Minimal API Gateway (REST, proxy) events, to call the app exactly as Lambda does, without chalice's
test client (which itself imports botocore)."""
from __future__ import annotations

from typing import Any


class Context:
    function_name = "sharegpt-bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def event(method: str, resource: str, path: str, path_params: dict[str, str] | None = None,
          body: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": {"Accept": "*/*", **(headers or {})}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": path_params, "stageVariables": None, "body": body, "isBase64Encoded": False,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/api{path}",
                           "requestId": "bench-request", "identity": {"sourceIp": "203.0.113.10"}},
    }
