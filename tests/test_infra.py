"""infra/: the CloudFormation template lints, deploys into moto's CloudFormation, matches the PynamoDB models,
and the API tests pass against the tables and bucket the stack created (not ones the tests made)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import awscalls
import pytest
from conftest import ARTIFACTS

from scripts import devstack
from scripts.policy import render

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "stack.yaml"
BIN = Path(sys.executable).parent
# Created only on the second pass (ApiOriginDomain set); moto's CloudFormation cannot create them.
CDN_RESOURCES = {"AvatarOriginAccess", "OriginCachePolicy", "ApiCachePolicy", "StaticCachePolicy", "SecurityHeaders",
                 "PageHeaders", "CardRequests", "Distribution",
                 "SiteRecord", "ShortRecord", "LogBucket", "LogBucketPolicy", "AccessLogSource",
                 "AccessLogDestination", "AccessLogDelivery", "ShortLinkFunction", "RepublishWorkers",
                 "DatasetWorkers", "ShareUrl", "ShareUrlInvokeUrl", "ShareUrlInvoke", "CardsUrl",
                 "CardsUrlInvokeUrl", "CardsUrlInvoke"}
# moto's CloudFormation skips Cognito resources silently; the pool is compared with devstack's below instead.
# It skips Secrets Manager secrets (and their outputs) and bucket policies too: the secret's wiring is checked
# by test_no_secret_is_in_a_committed_file_or_the_lambda_environment, both by cfn-lint.
COGNITO_RESOURCES = {"UserPool", "UserPoolClient", "ModeratorsGroup", "OriginSecret", "BucketPolicy"}
# Made only with an AbuseEmail parameter (the first pass here has none).
ABUSE_EMAIL_RESOURCES = {"AlertSubscription"}


def test_cfn_lint_passes_on_the_template():
    result = subprocess.run([str(BIN / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_passes_on_the_single_stack_package(tmp_path):
    """Way 2: `chalice package --merge-template infra/stack.yaml` then one CloudFormation deploy."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib")
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=shutil.ignore_patterns("deployed", "deployments",
                                                                                         "policy-*.json"))
    policy = render("sharegpt-dev", "sharegpt-dev-123456789012-us-east-1", "us-east-1", "123456789012")
    (project / ".chalice" / "policy-dev.json").write_text(__import__("json").dumps(policy))
    out = tmp_path / "out"
    subprocess.run([str(BIN / "chalice"), "package", "--stage", "dev", "--merge-template", str(TEMPLATE), str(out)],
                   cwd=project, check=True, capture_output=True, timeout=600,
                   env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
    merged = (out / "sam.yaml").read_text()
    assert all(name in merged for name in ("ConversationsTable", "RestAPI", "FoldViews", "RetryInvalidations"))
    result = subprocess.run([str(BIN / "cfn-lint"), str(out / "sam.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # What `make deploy-single` deploys: the functions' settings from the stack itself. The view fold reads
    # the log bucket (a single-stack deploy used to count no view), accounts the user pool.
    from cfnlint.decode import cfn_yaml

    from scripts.deploy import single_stack_settings

    assert "Share" in cfn_yaml.loads(merged)["Resources"]  # the share function, as `chalice package` names it
    deployed = single_stack_settings(cfn_yaml.loads(merged), ("artifacts", "dataset-layer.zip"))
    assert not {"Share", "ShareUrl"} & set(deployed["Resources"])  # one stack: creates keep API Gateway
    for job in ("DatasetShards", "DatasetRemovals"):
        assert deployed["Resources"][job]["Properties"]["Layers"] == [{"Ref": "DatasetLayer"}]
        assert deployed["Resources"][job]["Properties"]["Timeout"] == 900
    assert "Layers" not in deployed["Resources"]["DatasetSnapshot"]["Properties"]  # it only queues the shards
    assert deployed["Resources"]["DatasetWorkers"]["Properties"]["FunctionName"] == {"Ref": "DatasetShards"}
    assert deployed["Resources"]["DatasetWorkers"]["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 16}
    # The open dataset's pyarrow is in no function's package: its jobs get a layer (the next test).
    import zipfile

    with zipfile.ZipFile(out / "deployment.zip") as package:
        names = package.namelist()
        unpacked = sum(info.file_size for info in package.infolist())
    assert not any(name.startswith("pyarrow/") for name in names)
    assert any(name.startswith("phonenumbers/") for name in names)  # the owner's preview scrubs
    (ARTIFACTS / "package-size.txt").write_text(str(unpacked))
    fold_env = deployed["Resources"]["FoldViews"]["Properties"]["Environment"]["Variables"]
    assert fold_env["LOG_BUCKET"] == {"Fn::If": ["HasApi", {"Ref": "LogBucket"}, {"Ref": "AWS::NoValue"}]}
    assert deployed["Resources"]["RepublishWorkers"]["Properties"]["FunctionName"] == {"Ref": "RepublishPages"}
    api_env = deployed["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["COGNITO_USER_POOL_ID"] == {"Ref": "UserPool"} and api_env["STAGE"] == "dev"
    assert api_env["SITE_URL"]["Fn::If"][0] == "HasApi"
    (out / "deployed.json").write_text(__import__("json").dumps(deployed))
    result = subprocess.run([str(BIN / "cfn-lint"), str(out / "deployed.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def stack_moto():
    """A moto server of its own, with infra/stack.yaml deployed into its CloudFormation."""
    import boto3

    port = devstack.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = devstack.start_moto(port)
    try:
        cloudformation = awscalls.ignore(boto3.client(  # the tests' own calls, not the app's
            "cloudformation", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing"))
        cloudformation.create_stack(StackName="sharegpt-dev-infra", TemplateBody=TEMPLATE.read_text(),
                                    Parameters=[{"ParameterKey": "Stage", "ParameterValue": "dev"}])
        for _ in range(100):
            stack = cloudformation.describe_stacks(StackName="sharegpt-dev-infra")["Stacks"][0]
            if not stack["StackStatus"].endswith("IN_PROGRESS"):
                break
            time.sleep(0.1)
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        resources = {r["LogicalResourceId"] for r in
                     cloudformation.list_stack_resources(StackName="sharegpt-dev-infra")["StackResourceSummaries"]
                     if r["LogicalResourceId"]}  # moto adds a nameless entry
        yield endpoint, outputs, resources
    finally:
        devstack.stop(process)


def test_the_first_pass_creates_every_data_resource(stack_moto):
    _, outputs, resources = stack_moto
    declared = set(re.findall(r"^  ([A-Za-z]+):\n    Type: AWS::", TEMPLATE.read_text(), re.MULTILINE))
    print("Not deployable into moto (second pass, checked by cfn-lint only):", sorted(declared & CDN_RESOURCES))
    assert resources == declared - CDN_RESOURCES - COGNITO_RESOURCES - ABUSE_EMAIL_RESOURCES
    assert outputs["TablePrefix"] == "sharegpt-dev"
    # The alerts topic is the one the role may publish to (infra/policy.json: <prefix>-alerts).
    assert outputs["AlertTopicArn"].endswith(":sharegpt-dev-alerts")
    assert outputs["BucketName"] == "sharegpt-dev-123456789012-us-east-1"


def _shape(table: dict) -> dict:
    return {
        "keys": table["KeySchema"],
        "attributes": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "indexes": sorted(({"name": i["IndexName"], "keys": i["KeySchema"],
                            "projection": i["Projection"]["ProjectionType"],
                            "included": sorted(i["Projection"].get("NonKeyAttributes", []))}
                           for i in table.get("GlobalSecondaryIndexes", [])), key=lambda i: i["name"]),
        "billing": table.get("BillingModeSummary", {}).get("BillingMode"),
    }


def test_the_stack_tables_match_the_models(stack_moto):
    import boto3

    endpoint, _, _ = stack_moto
    env = {**os.environ, **devstack.local_env(int(endpoint.rsplit(":", 1)[1]), TABLE_PREFIX="sharegpt-models",
                                              BUCKET_NAME="sharegpt-models")}
    subprocess.run([sys.executable, "-c", "from scripts.devstack import create_resources; create_resources()"],
                   cwd=ROOT, env=env, check=True)
    dynamodb = awscalls.ignore(boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                            aws_access_key_id="t", aws_secret_access_key="t"))
    for name in ("conversations", "search", "counters", "moderation"):
        from_stack = _shape(dynamodb.describe_table(TableName=f"sharegpt-dev-{name}")["Table"])
        from_models = _shape(dynamodb.describe_table(TableName=f"sharegpt-models-{name}")["Table"])
        assert from_stack == from_models, name
    # moto's CloudFormation ignores TimeToLiveSpecification: check the template against the model instead.
    from chalicelib.models import Counter
    ttl = f"TimeToLiveSpecification: {{AttributeName: {Counter.expires.attr_name}, Enabled: true}}"
    assert ttl in TEMPLATE.read_text()


def test_the_stack_user_pool_matches_the_local_one():
    """The local stage's pool (made in moto by scripts/devstack.py) is the one the stack declares."""
    from cfnlint.decode import cfn_yaml

    resources = cfn_yaml.loads(TEMPLATE.read_text())["Resources"]
    pool = resources["UserPool"]["Properties"]
    client = resources["UserPoolClient"]["Properties"]
    for key in ("UsernameAttributes", "AutoVerifiedAttributes", "Policies", "Schema"):
        assert pool[key] == devstack.USER_POOL[key], key
    for key in ("ExplicitAuthFlows", "GenerateSecret", "ClientName", "ReadAttributes", "WriteAttributes"):
        assert client[key] == devstack.USER_POOL_CLIENT[key], key
    # The app reads the custom attribute by this name from the ID token.
    from chalicelib.accounts import DISPLAY_NAME_ATTRIBUTE
    assert "custom:" + pool["Schema"][0]["Name"] == DISPLAY_NAME_ATTRIBUTE
    assert DISPLAY_NAME_ATTRIBUTE not in client["WriteAttributes"]  # only the app, after its checks


def test_the_api_tests_pass_against_the_stack_resources(stack_moto):
    endpoint, outputs, _ = stack_moto
    env = {**os.environ, "SHAREGPT_TEST_STACK": endpoint, "TABLE_PREFIX": outputs["TablePrefix"],
           "BUCKET_NAME": outputs["BucketName"]}
    # The seed-payload test reads an avatar anonymously from S3, which the stack's bucket rightly refuses
    # (avatars are served through CloudFront there).
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_create.py",
                             "tests/test_views_delete.py", "tests/test_security.py", "-k", "not seed_payload"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    (ROOT / "tests" / "artifacts").mkdir(exist_ok=True)
    (ROOT / "tests" / "artifacts" / "stack-api-tests.log").write_text(result.stdout + result.stderr)
    tail = "\n".join(result.stdout.splitlines()[-5:])
    assert result.returncode == 0, tail
    assert re.search(r"\d+ passed", tail) and "failed" not in tail, tail


def test_deploy_writes_the_stack_outputs_into_the_stage_settings():
    import json

    from scripts.deploy import apply_outputs

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    pool = {"UserPoolId": "us-east-1_abc", "UserPoolClientId": "client1"}
    secret = {"SecretsArn": "arn:aws:secretsmanager:us-east-1:1:secret:sharegpt-prod-origin-AbCdEf"}
    first = apply_outputs(config, "prod", {"TablePrefix": "sharegpt-prod", "BucketName": "b-1", **pool, **secret})
    env = first["stages"]["prod"]["environment_variables"]
    assert (env["TABLE_PREFIX"], env["BUCKET_NAME"]) == ("sharegpt-prod", "b-1")
    assert env["SECRETS_ARN"] == secret["SecretsArn"] and "SITE_URL" not in env
    assert (env["COGNITO_USER_POOL_ID"], env["COGNITO_CLIENT_ID"]) == ("us-east-1_abc", "client1")
    assert first["stages"]["prod"]["autogen_policy"] is False
    second = apply_outputs(first, "prod", {"TablePrefix": "sharegpt-prod", "BucketName": "b-1", **pool, **secret,
                                           "SiteUrl": "https://s.example", "ShortUrl": "https://x.example",
                                           "MediaBaseUrl": "https://s.example", "DistributionId": "E123",
                                           "LogBucketName": "logs-1"})
    env2 = second["stages"]["prod"]["environment_variables"]
    assert (env2["SITE_URL"], env2["SHORT_URL"], env2["TRUSTED_PROXY_HOPS"], env2["DISTRIBUTION_ID"]) == (
        "https://s.example", "https://x.example", "1", "E123")
    assert env2["LOG_BUCKET"] == "logs-1"  # the view fold reads CloudFront's logs there


def test_the_dataset_layer_writes_a_shard_and_fits_beside_the_package(tmp_path):
    """`make deploy` builds the dataset jobs' layer for Lambda's Linux (pyarrow, stripped of what the writer
    never loads): with it first on the path, the job's own schema writes and rewrites a shard, and layer plus
    package stay inside Lambda's 250 MB unpacked."""
    import json
    import zipfile

    from scripts.deploy import DATASET_FUNCTIONS, build_dataset_layer, with_dataset_layer

    archive = build_dataset_layer(tmp_path)
    with zipfile.ZipFile(archive) as layer:
        unpacked = sum(info.file_size for info in layer.infolist())
        assert all(name.startswith("python/") for name in layer.namelist())
    check = (
        "import io, pyarrow, pyarrow.parquet as pq, pyarrow.compute as pc\n"
        "from chalicelib import dataset\n"
        "row = {'id': 'a', 'conversations': [{'from': 'human', 'value': 'x'}],\n"
        "       'messages': [{'role': 'user', 'blocks': [{'type': 'text', 'text': 'x', 'links': None}]}]}\n"
        "buffer = io.BytesIO()\n"
        "with pq.ParquetWriter(buffer, dataset.schema(), compression='zstd') as writer:\n"
        "    writer.write_table(pyarrow.Table.from_pylist([row, row | {'id': 'b'}], schema=writer.schema))\n"
        "group = pq.ParquetFile(io.BytesIO(buffer.getvalue())).read_row_group(0)\n"
        "kept = group.filter(pc.invert(pc.is_in(group['id'], value_set=dataset._strings(['b']))))\n"
        "print(pyarrow.__file__, kept.num_rows, flush=True)\n"
        # pyarrow 20's thread pools can abort the interpreter's own teardown ("terminate called without an
        # active exception"), after the work is done; a Lambda's process is not torn down between invocations.
        "import os; os._exit(0)\n")
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(tmp_path / "dataset-layer" / "python")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "dataset-layer" / "python" / "pyarrow" / "__init__.py"), "1"]
    package = ARTIFACTS / "package-size.txt"
    if package.exists():  # written by the packaging test in the same run
        assert unpacked + int(package.read_text()) < 250 * 10**6
    assert unpacked < 150 * 10**6
    config = with_dataset_layer(json.loads((ROOT / ".chalice" / "config.json").read_text()), "prod", "arn:layer:1")
    for name in DATASET_FUNCTIONS:
        assert config["stages"]["prod"]["lambda_functions"][name]["layers"] == ["arn:layer:1"]
        assert config["stages"]["prod"]["lambda_functions"][name]["lambda_timeout"] == 900


def test_the_view_fold_may_run_longer_than_a_request():
    """The hourly fold reads an hour of logs (two minutes against moto at 100,000 lines): its Lambda gets
    15 minutes, the API's keep 30 s."""
    import json

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        assert config["stages"][stage]["lambda_functions"]["fold_views"]["lambda_timeout"] == 900
        assert config["stages"][stage]["lambda_timeout"] == 30


def test_no_secret_is_in_a_committed_file_or_the_lambda_environment():
    """Secrets live in Secrets Manager (generated by the stack); the stages name the secret, never hold it."""
    import json

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage, values in config["stages"].items():
        env = values.get("environment_variables", {})
        assert not {"IP_HASH_SALT", "ORIGIN_VERIFY_SECRET"} & set(env), stage
        if stage != "local":  # local: no secret, no origin check (moto, loopback)
            assert env["SECRETS_ARN"] == f"sharegpt-{stage}-origin"  # a name, resolved by Secrets Manager
    template = TEMPLATE.read_text()
    assert "GenerateSecretString" in template and "X-Origin-Verify" in template
    assert "{{resolve:secretsmanager:${OriginSecret}:SecretString}}" in template


def _template() -> dict:
    """infra/stack.yaml as data, each intrinsic function kept as (name, argument)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: Loader, suffix: str, node: yaml.Node) -> tuple[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            return suffix, loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return suffix, loader.construct_sequence(node, deep=True)
        return suffix, loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", intrinsic)
    return yaml.load(TEMPLATE.read_text(), Loader=Loader)


def _as_deployed(items: list) -> list:
    """A list of the template as the deployed stack has it: each `!If [condition, item, AWS::NoValue]` item as
    its item (every condition true, as on a deployed stage whose functions exist)."""
    return [item[1][1] if isinstance(item, tuple) and item[0] == "If" else item for item in items]


CACHING_DISABLED, CACHING_OPTIMIZED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _query_strings_of(path: str) -> set[str] | None:
    """The query strings the CDN keys (and forwards) for a path, by the behaviour CloudFront picks for it;
    None where nothing is cached and every query string goes to the app."""
    from fnmatch import fnmatchcase

    resources = _template()["Resources"]
    config = _distribution()
    behaviour = next((b for b in config["CacheBehaviors"] if fnmatchcase(path, b["PathPattern"])),
                     config["DefaultCacheBehavior"])
    policy = behaviour["CachePolicyId"]
    if policy == CACHING_DISABLED:
        return None
    if policy == CACHING_OPTIMIZED:
        return set()
    strings = resources[policy[1]]["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    return set(strings["QueryStringsConfig"]["QueryStrings"])


def test_every_query_parameter_the_pages_link_with_is_in_the_cache_key(client):
    """Each link the pages make keeps its query strings through the CDN: every one is in the cache policy of
    its path. A static file's URL carries its version (?v=<hash>): were `v` not in the key, every version would
    be one edge object and a deploy's new JS would be served as the old one for a year."""
    import re
    from urllib.parse import parse_qs, urlsplit

    from conftest import chat, create

    assert "v" in (_query_strings_of("/static/app.js") or set())
    for name, resource in _template()["Resources"].items():
        if resource["Type"] == "AWS::CloudFront::CachePolicy":  # CloudFront's quota per cache policy
            config = resource["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
            assert len(config["QueryStringsConfig"].get("QueryStrings", [])) <= 10, name
    created = create(client, chat(2, visibility="public", title="Cache key"))
    checked = 0
    for page in ("/", "/explore", f"/c/{created['id']}", "/import", "/explore?tab=new&source=grok"):
        html = client.http.get(page).body.decode()
        for url in re.findall(r'(?:href|src)="([^"]+)"', html):
            if not url.startswith("/") or url.startswith("//"):
                continue
            parts = urlsplit(url.replace("&amp;", "&"))
            allowed = _query_strings_of(parts.path)
            used = set(parse_qs(parts.query))
            assert allowed is None or used <= allowed, (url, used - (allowed or set()))
            checked += bool(used)
    assert checked > 10


def test_the_cdn_serves_images_from_the_bucket_and_cards_from_the_app_never_uploads():
    """/avatars/* and /media/* go to the bucket with the security headers (nosniff); the bucket grants
    CloudFront avatars/ and media/ (uploads/ keep their metadata and stay private; cards/ is no longer served
    from it), and uploads expire. /cards/* goes to the app, which draws a card on a miss: the request carries
    its Accept and nothing else, and no query string can bust the edge's copy."""
    config = _distribution()
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    for path in ("/avatars/*", "/media/*", "/cards/*"):
        assert behaviours[path]["TargetOriginId"] == (
            ("If", ["HasFunctions", "cards", "api"]) if path == "/cards/*" else "avatars")
        assert behaviours[path]["AllowedMethods"] == ["GET", "HEAD"]
        assert behaviours[path]["ResponseHeadersPolicyId"] == ("Ref", "SecurityHeaders")
    assert behaviours["/cards/*"]["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"  # CachingOptimized
    forwarded = _template()["Resources"]["CardRequests"]["Properties"]["OriginRequestPolicyConfig"]
    assert forwarded["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["Accept"]}
    assert behaviours["/cards/*"]["OriginRequestPolicyId"] == ("Ref", "CardRequests")
    assert not any("uploads" in path or "bodies" in path for path in behaviours)
    policy = TEMPLATE.read_text().split("Sid: CloudFrontReadsPublicObjects", 1)[1].split("Condition:", 1)[0]
    assert all(f"/{prefix}/*" in policy for prefix in ("avatars", "media"))
    assert "uploads" not in policy and "bodies" not in policy and "/cards/*" not in policy
    rules = devstack.bucket_properties()["LifecycleConfiguration"]["Rules"]
    assert [r for r in rules if "ExpirationInDays" in r] == [
        {"Id": "expire-unreferenced-uploads", "Status": "Enabled", "Prefix": "uploads/", "ExpirationInDays": 1},
        {"Id": "expire-view-fold-state", "Status": "Enabled", "Prefix": "views/", "ExpirationInDays": 3}]


def _distribution() -> dict:
    config = _template()["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    return {**config, "Origins": _as_deployed(config["Origins"]), "CacheBehaviors": _as_deployed(
        config["CacheBehaviors"])}


def test_pages_are_served_from_the_bucket_with_the_api_as_fallback():
    """/c/* reads pages/c/<id> from S3 through an origin group whose second member is the API (which draws,
    publishes and answers); only GET and HEAD (what an origin group allows); the bucket grants pages/."""
    config = _distribution()
    behaviour = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/c/*")
    assert behaviour["TargetOriginId"] == "pages-then-api" and behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert behaviour["ResponseHeadersPolicyId"] == ("Ref", "PageHeaders") and "OriginRequestPolicyId" not in behaviour
    (group,) = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["pages", "api"]
    assert {403, 404} <= set(group["FailoverCriteria"]["StatusCodes"]["Items"])
    pages = next(o for o in config["Origins"] if o["Id"] == "pages")
    assert pages["OriginPath"] == "/pages" and "OriginAccessControlId" in pages
    policy = TEMPLATE.read_text().split("Sid: CloudFrontReadsPublicObjects", 1)[1].split("Condition:", 1)[0]
    assert "/pages/*" in policy


def test_the_pages_behaviour_sends_exactly_the_headers_the_app_sends(monkeypatch):
    """S3 cannot keep a CSP: the behaviour's response-headers policy must add what the app's pages carry, on a
    deployed stage's settings (site, media on the site's origin, the bucket's upload address)."""
    from chalicelib import http, settings

    headers = _template()["Resources"]["PageHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    bucket, region = "sharegpt-prod-123456789012-eu-west-1", "eu-west-1"
    from chalicelib import pages

    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"][1].replace("${Bucket}", bucket).replace(
        "${AWS::Region}", region).replace("${PageStyleHash}", pages.style_source())
    deploy = (ROOT / "scripts" / "deploy.py").read_text()
    assert deploy.count("pages.style_source()") == 2  # both ways of deploying pass it to the stack
    for name in ("AWS_ENDPOINT_URL", "UPLOAD_URL", "MEDIA_BASE_URL", "AVATAR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("BUCKET_NAME", bucket)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("SITE_URL", "https://share.example")
    monkeypatch.setenv("MEDIA_BASE_URL", "https://share.example")
    settings.get.cache_clear()
    http.csp.cache_clear()
    try:
        app = http.html_response("<p>page</p>").headers
    finally:
        monkeypatch.undo()
        settings.get.cache_clear()
        http.csp.cache_clear()
    assert csp == app["Content-Security-Policy"]
    assert headers["FrameOptions"]["FrameOption"] == app["X-Frame-Options"]
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == app["Referrer-Policy"]
    assert "ContentTypeOptions" in headers  # nosniff, which the app's middleware adds to every answer
    assert all(value.get("Override") for value in headers.values())


def test_cloudfront_logs_go_to_a_private_expiring_bucket_in_w3c():
    resources = _template()["Resources"]
    assert resources["AccessLogDestination"]["Properties"]["OutputFormat"] == "w3c"
    assert resources["AccessLogSource"]["Properties"]["LogType"] == "ACCESS_LOGS"
    log_bucket = resources["LogBucket"]["Properties"]
    assert all(log_bucket["PublicAccessBlockConfiguration"].values())
    assert log_bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] <= 14
    assert "cdn-logs" in resources["AccessLogDestination"]["Properties"]["DestinationResourceArn"][1]


def test_the_stack_refuses_any_region_but_us_east_1_before_creating_anything(monkeypatch):
    """CloudFront's log delivery source can only be made in us-east-1: elsewhere the CDN pass failed and rolled
    back. The template's rule refuses the stack up front, and the deploy script stops before any AWS write."""
    from scripts import deploy

    (assertion,) = _template()["Rules"]["CloudFrontRegion"]["Assertions"]
    assert "us-east-1" in assertion["AssertDescription"]
    assert TEMPLATE.read_text().count('Assert: !Equals [!Ref "AWS::Region", us-east-1]') == 1
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(SystemExit) as refused:
        deploy.refuse_other_regions()
    assert "us-east-1 only" in str(refused.value) and "eu-west-1" in str(refused.value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    deploy.refuse_other_regions()  # goes on
    assert "eu-west-1" not in (ROOT / "docs" / "deploying.md").read_text()


def test_the_log_delivery_pins_the_fields_the_fold_reads():
    """The fields the fold reads, and exactly those the cost model prices a line by."""
    from chalicelib import cdnlogs

    delivery = _template()["Resources"]["AccessLogDelivery"]["Properties"]
    needed = {"date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "cs(User-Agent)"}
    assert needed <= set(delivery["RecordFields"])
    assert delivery["RecordFields"] == list(cdnlogs.DELIVERED_FIELDS)


def test_destroy_empties_the_log_bucket_before_deleting_the_stack(monkeypatch):
    """The log bucket goes with the stack, which CloudFormation cannot do while it holds files (DELETE_FAILED)."""
    import argparse
    import types

    from scripts import deploy

    steps: list[str] = []

    class Stacks:
        def describe_stacks(self, StackName):
            return {"Stacks": [{"Outputs": [{"OutputKey": "LogBucketName", "OutputValue": "logs-b"},
                                            {"OutputKey": "TablePrefix", "OutputValue": "p"},
                                            {"OutputKey": "BucketName", "OutputValue": "b"}]}]}

        def delete_stack(self, StackName):
            steps.append("delete stack")

        def get_waiter(self, name):
            return types.SimpleNamespace(wait=lambda **_: steps.append("waited"))

    class Bucket:
        def __init__(self, name: str) -> None:
            self.objects = types.SimpleNamespace(all=lambda: types.SimpleNamespace(
                delete=lambda: steps.append(f"emptied {name}")))

    monkeypatch.setattr(deploy, "_cloudformation", Stacks)
    monkeypatch.setattr(deploy.subprocess, "run", lambda *a, **k: None)
    import boto3
    monkeypatch.setattr(boto3, "resource", lambda service: types.SimpleNamespace(Bucket=Bucket))
    deploy.destroy(argparse.Namespace(stage="dev", delete_data=False))
    assert steps == ["emptied logs-b", "delete stack", "waited"]


def test_throttles_are_sized_per_kind_of_route_and_name_real_routes():
    """The whole API shared 50 requests a second: short-link misses, fallback draws and status calls took
    from each other. Each kind of route has its own ceiling, on a path and method the app really has."""
    from app import app
    from scripts import deploy

    ops = deploy.throttle_operations()
    assert ops[0] == {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(deploy.THROTTLE_RATE)}
    for (path, method), (rate, burst) in deploy.ROUTE_THROTTLES.items():
        assert method in app.routes[path], (path, method)
        assert 0 < rate <= deploy.THROTTLE_RATE and rate <= burst
        escaped = path.replace("/", "~1")
        assert {"op": "replace", "path": f"/{escaped}/{method}/throttling/rateLimit", "value": str(rate)} in ops
    assert deploy.ROUTE_THROTTLES[("/api/conversations", "POST")][0] < deploy.THROTTLE_RATE


def test_the_favicon_and_robots_are_served_from_the_bucket_at_the_edge_never_by_lambda(client, aws):
    """`/favicon.ico` matched the short-link route and answered a 404 from Lambda every time. Both root files
    are objects under site/ (published by `make deploy`), served by their own behaviours; the app answers
    the same two paths for `make run`."""
    import io

    import awscalls
    from conftest import BUCKET
    from PIL import Image

    from chalicelib import sitefiles

    config = _distribution()
    site = next(o for o in config["Origins"] if o["Id"] == "site")
    assert site["OriginPath"] == "/site" and "OriginAccessControlId" in site
    for path in ("/favicon.ico", "/robots.txt"):
        behaviour = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == path)
        assert behaviour["TargetOriginId"] == "site" and behaviour["CachePolicyId"] == CACHING_OPTIMIZED
    assert '${Bucket.Arn}/site/*' in TEMPLATE.read_text().split("Sid: CloudFrontReadsPublicObjects", 1)[1]
    assert "sitefiles.publish()" in (ROOT / "scripts" / "deploy.py").read_text()  # the deploy stores them
    with awscalls.paused():  # the deployer's call, not the app's
        keys = sitefiles.publish()
    assert keys == ["site/favicon.ico", "site/robots.txt"]
    stored = aws["s3"].get_object(Bucket=BUCKET, Key="site/favicon.ico")
    assert stored["ContentType"] == "image/x-icon" and "max-age=604800" in stored["CacheControl"]
    icon = Image.open(io.BytesIO(stored["Body"].read()))
    assert icon.format == "ICO" and {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
    # As Chromium asks for it (binary answers need an Accept that takes them, in API Gateway as here).
    local = client.http.get("/favicon.ico", headers={
        "accept": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"})
    assert local.status_code == 200 and local.headers["Content-Type"] == "image/x-icon"
    robots = client.http.get("/robots.txt")
    assert robots.status_code == 200 and "Disallow: /api/" in robots.body.decode()
    # A page references one static file, its script: the stylesheet is inline (allowed by its hash) and the
    # icon a data: URI, so browsers never ask /favicon.ico (crawlers may).
    from chalicelib import pages

    page = client.http.get("/").body.decode()
    assert re.findall(r'(?:href|src)="(/[^"?]*)', page).count("/static/app.js") == 1
    assert re.findall(r'(?:href|src)="(/static/[^"?]+)', page) == ["/static/app.js"]
    assert '<link rel="icon" href="data:image/svg+xml,' in page and f"<style>{pages.inline_css()}</style>" in page


def test_a_deploy_republishes_through_a_queue_drained_by_bounded_parallel_workers(client, aws):
    """`republish` ran on the deployer's machine at 1,600 pages a minute (a month of pages took a day). A
    deploy now queues the pages (a message per 100) and the republish_pages Lambda draws them, at most 20 at
    once; here its handler, called as Lambda calls it, works what the queue holds, and the pages are new."""
    import json as jsonlib

    import awscalls
    from conftest import BUCKET, chat, create

    from app import republish_pages
    from chalicelib import published, settings
    from chalicelib.aws import sqs

    resources = _template()["Resources"]
    queue = resources["RepublishQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    workers = resources["RepublishWorkers"]["Properties"]
    assert workers["ScalingConfig"]["MaximumConcurrency"] == 20 and workers["BatchSize"] == 1
    assert workers["FunctionName"] == ("Sub", "sharegpt-${Stage}-republish_pages")  # chalice's name for it
    config = jsonlib.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        timeout = config["stages"][stage]["lambda_functions"]["republish_pages"]["lambda_timeout"]
        assert queue["VisibilityTimeout"] >= 6 * timeout  # what AWS asks of a queue a Lambda polls
    assert "enqueue_republish()" in (ROOT / "scripts" / "deploy.py").read_text()

    # Pages drawn by an older template: the deploy's queueing, then the workers.
    ids = [create(client, chat(title=f"Republished {i}"))["id"] for i in range(3)]
    for cid in ids:
        page = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")
        aws["s3"].put_object(Bucket=BUCKET, Key=f"pages/c/{cid}", Body=page["Body"].read(),
                             ContentType=page["ContentType"], Metadata={"template": "an-older-one"})
    with awscalls.paused():  # the deployer's calls
        queued = published.enqueue_republish()
        url = sqs().get_queue_url(QueueName=settings.get().republish_queue)["QueueUrl"]
    assert queued["pages"] >= 3 and queued["messages"] >= 1
    drawn = 0
    while True:
        with awscalls.paused():  # Lambda's poller, not the app
            messages = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            answer = republish_pages({"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]},
                                     None)
            assert answer == {"batchItemFailures": []}
            drawn += 1
            with awscalls.paused():
                sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert drawn == queued["messages"]
    for cid in ids:
        head = aws["s3"].head_object(Bucket=BUCKET, Key=f"pages/c/{cid}")
        assert head["Metadata"]["template"] != "an-older-one"
    # A message that cannot be worked comes back alone (the batch's others are done).
    failed = republish_pages({"Records": [{"messageId": "m-1", "body": "not json"}]}, None)
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_the_create_reaches_the_share_functions_url_not_api_gateway():
    """Issue 34's $25 a million creates: `/api/conversations` goes from CloudFront to the `share` function's URL
    (no price per request), with the CDN's origin secret; the URL and its two grants name that function, in
    the two-pass deploy (one stack keeps API Gateway); its reserved concurrency is the ceiling API Gateway's
    throttle was."""
    import json
    from fnmatch import fnmatchcase

    from app import app
    from scripts.deploy import single_stack_settings

    config = _distribution()
    first = next(b for b in config["CacheBehaviors"] if fnmatchcase("/api/conversations", b["PathPattern"]))
    assert first["PathPattern"] == "/api/conversations" and first["TargetOriginId"] == "share"
    assert "POST" in first["AllowedMethods"] and first["CachePolicyId"] == ("Ref", "ApiCachePolicy")
    rest = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*")
    assert first["OriginRequestPolicyId"] == rest["OriginRequestPolicyId"]  # everything but the Host header
    assert next(b for b in config["CacheBehaviors"] if fnmatchcase("/api/conversations/abc1234", b["PathPattern"])
                ) is rest
    resources = _template()["Resources"]
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    # The cards function the same way, its own: crawlers asking for many cards use its concurrency, not the creates'.
    for function, prefix in (("share", "ShareUrl"), ("cards", "CardsUrl")):
        origin = next(o for o in config["Origins"] if o["Id"] == function)
        assert [h["HeaderName"] for h in origin["OriginCustomHeaders"]] == ["X-Origin-Verify"]
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        url = resources[prefix]["Properties"]
        assert url["AuthType"] == "NONE"
        assert url["TargetFunctionArn"][1].endswith(f"function:sharegpt-${{Stage}}-{function}")
        grants = {resources[name]["Properties"]["Action"]: resources[name]["Properties"]
                  for name in (f"{prefix}InvokeUrl", f"{prefix}Invoke")}
        assert grants["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
        assert grants["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
        assert function in {f.name for f in app.pure_lambda_functions}
        for stage in ("dev", "prod"):
            assert 0 < stages[stage]["lambda_functions"][function]["reserved_concurrency"] <= 100
    # In one stack the functions' settings name the distribution, which would name their URLs: a cycle. There,
    # creates and cards keep API Gateway (the default behaviour's /api/* route), and the functions are not deployed.
    from cfnlint.decode import cfn_yaml

    stack = json.loads(json.dumps(cfn_yaml.loads(TEMPLATE.read_text())))  # as `chalice package` merges it
    named = ("ShareUrl", "ShareUrlInvokeUrl", "ShareUrlInvoke", "CardsUrl", "CardsUrlInvokeUrl", "CardsUrlInvoke",
             "Distribution")
    merged = {"Resources": {name: stack["Resources"][name] for name in named}
              | {name: {"Type": "AWS::Serverless::Function", "Properties": {}} for name in ("Share", "Cards")}}
    single = single_stack_settings(merged)["Resources"]
    assert set(single) == {"Distribution"}
    kept = single["Distribution"]["Properties"]["DistributionConfig"]
    assert not {"share", "cards"} & {o["Id"] for o in kept["Origins"]}
    assert next(b for b in kept["CacheBehaviors"] if fnmatchcase("/api/conversations", b["PathPattern"])
                )["TargetOriginId"] == "api"
    # Cards go to the function's URL where it exists, else to API Gateway.
    assert next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/cards/*")["TargetOriginId"] == (
        "If", ["HasFunctions", "cards", "api"])
    assert next(b for b in kept["CacheBehaviors"] if b["PathPattern"] == "/cards/*")["TargetOriginId"] == "api"


@pytest.mark.parametrize("missing", [[], ["share"]])
def test_an_upgrade_that_brings_a_new_function_deploys_the_stack_around_it(monkeypatch, tmp_path, missing):
    """The stack names some functions `chalice deploy` makes (the share function's URL, the queues' workers).
    An upgrade bringing a new one would have failed its stack update (no such function yet): the stack goes
    first without them, then chalice makes the function, then the stack names it."""
    import argparse
    import shutil as shell

    from scripts import deploy

    config = tmp_path / "config.json"
    shell.copy(ROOT / ".chalice" / "config.json", config)
    steps: list[str] = []
    monkeypatch.setattr(deploy, "CONFIG", config)
    monkeypatch.setattr(deploy, "refuse_other_regions", lambda: None)
    monkeypatch.setattr(deploy, "api_domain", lambda stage: "abc.execute-api.us-east-1.amazonaws.com")
    monkeypatch.setattr(deploy, "missing_functions", lambda stage: list(missing))
    monkeypatch.setattr(deploy, "deploy_stack", lambda stage, parameters: steps.append(
        f"stack functions={parameters['FunctionsDeployed']}") or {"SiteUrl": "https://x", "BucketName": "b"})
    monkeypatch.setattr(deploy, "write_settings", lambda stage, outputs: None)
    monkeypatch.setattr(deploy, "publish_dataset_layer", lambda stage, bucket: "arn:layer")
    monkeypatch.setattr(deploy, "chalice_deploy", lambda stage: steps.append("chalice"))
    monkeypatch.setattr(deploy, "throttle", lambda stage, api_stage: None)
    monkeypatch.setattr(deploy, "republish_pages", lambda stage: None)
    deploy.deploy(argparse.Namespace(stage="dev", site_domain="", short_domain="", certificate_arn="",
                                     hosted_zone_id="", abuse_email=""))
    expected = (["stack functions=no", "chalice", "stack functions=yes", "chalice"] if missing else
                ["stack functions=yes", "chalice"])
    assert steps == expected


def test_every_function_the_stack_names_waits_for_chalice_to_make_it():
    """What names a function of the app by name is conditional on FunctionsDeployed (HasFunctions), and the
    deploy checks exactly those functions before its first stack pass."""
    from app import app
    from scripts import deploy

    named: dict[str, str] = {}
    for resource_name, resource in _template()["Resources"].items():
        for key in ("FunctionName", "TargetFunctionArn"):
            value = (resource.get("Properties") or {}).get(key)
            if isinstance(value, tuple) and value[0] == "Sub":
                named[resource_name] = re.fullmatch(r"(?:arn:.*:function:)?sharegpt-\$\{Stage\}-(\w+)", value[1])[1]
    assert set(named.values()) == set(deploy.STACK_NAMED_FUNCTIONS)
    assert set(deploy.STACK_NAMED_FUNCTIONS) <= {f.name for f in app.pure_lambda_functions}
    for resource_name in named:
        assert _template()["Resources"][resource_name]["Condition"] == "HasFunctions", resource_name
