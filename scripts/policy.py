"""The Lambda role's policy for one stage: infra/policy.json with this stack's table and bucket ARNs.

`make deploy` writes it to .chalice/policy-<stage>.json (chalice's generated policy cannot see PynamoDB's
calls, so the stages use autogen_policy: false); tests/test_zz_iam_policy.py checks every AWS operation
the test suite saw against it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "policy.json"


def render(table_prefix: str, bucket: str, region: str, account: str, user_pool_id: str = "*",
           distribution_id: str = "*", log_bucket: str | None = None) -> dict:
    """`user_pool_id` and `distribution_id` "*" (any of the account) where the stack's are not known yet;
    `log_bucket` (CloudFront's access logs) is the stage bucket when not given (the local stack's)."""
    text = Template(TEMPLATE.read_text()).substitute(TablePrefix=table_prefix, BucketName=bucket, Region=region,
                                                     AccountId=account, UserPoolId=user_pool_id,
                                                     DistributionId=distribution_id,
                                                     LogBucketName=log_bucket or bucket)
    return json.loads(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--account", required=True)
    args = parser.parse_args()
    out = ROOT / ".chalice" / f"policy-{args.stage}.json"
    policy = render(f"sharegpt-{args.stage}", args.bucket, args.region, args.account)
    out.write_text(json.dumps(policy, indent=2) + "\n")
    print(out)


if __name__ == "__main__":
    main()
