"""The routes, by area: each module holds one Blueprint that app.py registers.

A view parses its request (chalicelib.callers), calls one domain function and shapes the answer
(chalicelib.http). Heavy modules (boto3, PynamoDB, bleach, pydantic) are imported inside the views that use
them, so the short-link redirect starts cold in about the time of `import chalice`.
"""
