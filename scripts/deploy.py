"""`make deploy` / `make destroy` / `make package`: the infra stack, the stage settings, and Chalice.

deploy:  1. deploy infra/stack.yaml (tables, bucket; the CDN too once the API exists)
         2. write the stack's outputs into the stage's environment in .chalice/config.json and render the
            stage's IAM policy (.chalice/policy-<stage>.json) with the stack's exact ARNs; build and publish
            the open dataset jobs' pyarrow layer and name it in their settings
         3. chalice deploy --stage STAGE
         4. on the first deploy, a second pass: the CDN in front of the new API, then the settings that name it
         5. API Gateway stage throttling
destroy: chalice delete, then the infra stack; tables and bucket are kept (DeletionPolicy: Retain) unless
         --delete-data is given.
package: the single-stack way: chalice package --merge-template infra/stack.yaml.
deploy-single: package, upload the code to ARTIFACT_BUCKET, deploy sam.yaml as one stack (a change set).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib import pages  # noqa: E402
from scripts.policy import render  # noqa: E402

CONFIG = ROOT / ".chalice" / "config.json"
TEMPLATE = ROOT / "infra" / "stack.yaml"
CHALICE = Path(sys.executable).parent / "chalice"
# API Gateway throttles (requests a second, burst), per kind of route: a ceiling on the bill and on Lambda's
# concurrency (the account's default is 1,000: rate x seconds a request takes), never the readers' path, which
# is CloudFront's (pages, short links, images: no API Gateway). Stage-wide, everything else: pages drawn by
# the app (home, Explore, the /c/ fallback when a page is not published yet), signed-in status calls, reads.
THROTTLE_RATE, THROTTLE_BURST = 300, 600
ROUTE_THROTTLES = {
    # A create renders and sanitizes up to 5 MB (under 1.5 s at worst): 50 a second is at most ~75 Lambdas
    # busy, far above 100k creates a day (1.2 a second on average); each client is limited far lower anyway.
    # Through the CDN a create reaches the `share` function's URL instead (infra/stack.yaml), whose reserved
    # concurrency of 75 (.chalice/config.json) is this same ceiling; this one holds where API Gateway serves it
    # (a single-stack deploy, or a direct call with the origin secret).
    ("/api/conversations", "POST"): (50, 100),
    # Image upload tickets: one per image of a create.
    ("/api/media", "POST"): (100, 200),
    # The page a CDN miss draws and publishes (a few ms warm, 0.3 s cold): a burst of first views of a page
    # that went viral before it was published, at most.
    ("/c/{conversation_id}", "GET"): (200, 400),
    # The short link reaches the app only without the CDN's function (a deployment without the CDN).
    ("/{conversation_id}", "GET"): (200, 400),
    # Sign-in and sign-up call Cognito (whose own quotas are lower): rate-limited per client in the app too.
    ("/signin", "POST"): (20, 40),
    ("/signup", "POST"): (10, 20),
}


def throttle_operations() -> list[dict[str, str]]:
    """API Gateway's patch operations for the stage: the stage-wide ceiling, then each route's own."""
    ops = [{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(THROTTLE_RATE)},
           {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(THROTTLE_BURST)}]
    for (path, method), (rate, burst) in ROUTE_THROTTLES.items():
        escaped = path.replace("~", "~0").replace("/", "~1")  # a resource path inside a patch path (RFC 6901)
        ops += [{"op": "replace", "path": f"/{escaped}/{method}/throttling/rateLimit", "value": str(rate)},
                {"op": "replace", "path": f"/{escaped}/{method}/throttling/burstLimit", "value": str(burst)}]
    return ops


def stack_name(stage: str) -> str:
    return f"sharegpt-{stage}-infra"


# The stage's settings the stack's outputs give (both ways of deploying): setting -> output. Those of the CDN
# exist once the API is behind it.
OUTPUT_SETTINGS = {"TABLE_PREFIX": "TablePrefix", "BUCKET_NAME": "BucketName", "COGNITO_USER_POOL_ID": "UserPoolId",
                   "COGNITO_CLIENT_ID": "UserPoolClientId", "SECRETS_ARN": "SecretsArn",
                   "ALERT_TOPIC_ARN": "AlertTopicArn", "SITE_URL": "SiteUrl", "SHORT_URL": "ShortUrl",
                   "MEDIA_BASE_URL": "MediaBaseUrl", "DISTRIBUTION_ID": "DistributionId",
                   "LOG_BUCKET": "LogBucketName"}


def single_stack_settings(template: dict[str, Any], layer: tuple[str, str] | None = None) -> dict[str, Any]:
    """The merged template (`chalice package --merge-template`) with every function's settings taken from the
    stack itself, as `make deploy` writes them from its outputs: the user pool, the CDN's URLs and id, and the
    log bucket the view fold reads (without it, a single-stack deploy never counted a view); and, given the
    (bucket, key) of the dataset layer's zip, that layer as a resource of the stack, on the dataset jobs. Pure."""
    template = json.loads(json.dumps(template))
    if layer:
        template["Resources"]["DatasetLayer"] = {"Type": "AWS::Lambda::LayerVersion", "Properties": {
            "Content": {"S3Bucket": layer[0], "S3Key": layer[1]}, "CompatibleArchitectures": ["x86_64"],
            "Description": "pyarrow, for the open dataset's jobs (scripts/deploy.py builds it)"}}
        for name in DATASET_FUNCTIONS:
            resource = "".join(part.title() for part in name.split("_"))  # dataset_snapshot: DatasetSnapshot
            if resource in template["Resources"]:
                template["Resources"][resource]["Properties"]["Layers"] = [{"Ref": "DatasetLayer"}]
    outputs = template.get("Outputs", {})
    variables: dict[str, Any] = {}
    for setting, output in OUTPUT_SETTINGS.items():
        if output not in outputs:
            continue
        value = outputs[output]["Value"]
        condition = outputs[output].get("Condition")
        variables[setting] = {"Fn::If": [condition, value, {"Ref": "AWS::NoValue"}]} if condition else value
    variables["TRUSTED_PROXY_HOPS"] = {"Fn::If": ["HasApi", "1", {"Ref": "AWS::NoValue"}]}  # CloudFront
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            env = resource.setdefault("Properties", {}).setdefault("Environment", {}).setdefault("Variables", {})
            env.update(variables)
    # In one stack the republish worker is a resource of it (named by CloudFormation): the queue's mapping
    # names it by reference, where the two-pass deploy names the function `chalice deploy` made.
    for mapping, function in (("RepublishWorkers", "RepublishPages"), ("DatasetWorkers", "DatasetShards")):
        workers = template["Resources"].get(mapping)
        if workers and function in template["Resources"]:
            workers["Properties"]["FunctionName"] = {"Ref": function}
    _without_share_url(template)
    return template


def _without_share_url(template: dict[str, Any]) -> None:
    """In one stack, creates and cards keep API Gateway: the share and cards functions' settings name the
    distribution (the site's URL, its id), which would name their URLs, a cycle CloudFormation refuses. Their
    URLs, grants and CDN routes go, and the functions with them (their reserved concurrency would be held for
    nothing); the cards' behaviour goes to API Gateway."""
    resources = template["Resources"]
    for name in ("ShareUrl", "ShareUrlInvokeUrl", "ShareUrlInvoke", "Share",
                 "CardsUrl", "CardsUrlInvokeUrl", "CardsUrlInvoke", "Cards"):
        resources.pop(name, None)
    def unwrapped(item: dict[str, Any]) -> dict[str, Any]:  # {"Fn::If": [condition, item, no value]}
        found = item.get("Fn::If", [None, item])[1]
        return found if isinstance(found, dict) else {}

    distribution = resources.get("Distribution", {}).get("Properties", {}).get("DistributionConfig")
    if distribution:
        distribution["Origins"] = [o for o in distribution["Origins"]
                                   if unwrapped(o).get("Id") not in ("share", "cards")]
        distribution["CacheBehaviors"] = [b for b in distribution["CacheBehaviors"]
                                          if unwrapped(b).get("TargetOriginId") != "share"]
        for behaviour in distribution["CacheBehaviors"]:
            if isinstance(unwrapped(behaviour).get("TargetOriginId"), dict):  # the function's URL, or API Gateway
                unwrapped(behaviour)["TargetOriginId"] = "api"


def apply_outputs(config: dict[str, Any], stage: str, outputs: dict[str, str]) -> dict[str, Any]:
    """The stage's settings from the stack's outputs (pure: returns a new config)."""
    config = json.loads(json.dumps(config))
    env = config["stages"][stage].setdefault("environment_variables", {})
    env["STAGE"] = stage
    # The same mapping a single-stack deploy sets from the stack itself (single_stack_settings). The secret
    # is there by its ARN only: its value stays in Secrets Manager, read by the app once per process.
    env.update({setting: outputs[output] for setting, output in OUTPUT_SETTINGS.items() if output in outputs})
    env.pop("IP_HASH_SALT", None)
    env.pop("ORIGIN_VERIFY_SECRET", None)
    if "SiteUrl" in outputs:  # the CDN exists: it is the site, and the one proxy in front of API Gateway
        env["TRUSTED_PROXY_HOPS"] = "1"
    config["stages"][stage]["iam_policy_file"] = f"policy-{stage}.json"
    config["stages"][stage]["autogen_policy"] = False
    return config


# The open dataset's jobs (app.py) write Parquet with pyarrow, which the API's package never holds: a Lambda
# layer of their own, built here for Lambda's Linux, published per content and named in their settings.
DATASET_FUNCTIONS = ("dataset_shards", "dataset_removals")
# Lambda's python3.11 and older run on Amazon Linux 2 (glibc 2.26), which takes manylinux2014 wheels only: the
# last of pyarrow's is 20.0.0. python3.12 and newer run on Amazon Linux 2023 (glibc 2.34): the version the tests
# use (requirements-dataset.txt). The writer's calls (dataset.py) are in both; tests/test_infra.py writes a
# shard with the built layer.
LAYER_WHEELS = {(3, 11): ("manylinux2014_x86_64", "pyarrow==20.0.0")}
DEFAULT_LAYER_WHEELS = ("manylinux_2_28_x86_64", "pyarrow==26.0.1")
# pyarrow's parts the writer never loads (RPC, tests, C++ headers and sources, Cython sources); its libraries
# that pyarrow.lib links (Substrait, S3, Acero...) stay.
LAYER_STRIP = ("pyarrow/tests", "pyarrow/include", "pyarrow/src", "pyarrow/libarrow_flight.so*",
               "pyarrow/_flight*.so", "pyarrow/*.pyx", "pyarrow/*.pxd", "pyarrow/includes")


def build_dataset_layer(out: Path) -> Path:
    """The dataset functions' layer as a zip (`python/` inside, as Lambda expects), for Linux x86_64 and this
    Python (the runtime chalice deploys with): downloaded from PyPI as manylinux wheels, then stripped."""
    import shutil
    import zipfile

    target = out / "dataset-layer" / "python"
    shutil.rmtree(target.parent, ignore_errors=True)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    platform, requirement = LAYER_WHEELS.get(sys.version_info[:2], DEFAULT_LAYER_WHEELS)
    subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
                    "--platform", platform, "--python-version", version, "--implementation", "cp",
                    "--only-binary=:all:", requirement, "-t", str(target)], check=True)
    for pattern in LAYER_STRIP:
        for path in target.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    archive = out / "dataset-layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(target.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(target.parent))
    return archive


def with_dataset_layer(config: dict[str, Any], stage: str, layer_arn: str) -> dict[str, Any]:
    """The stage's config with the dataset functions given the layer, 15 minutes and 2 GB (pure)."""
    config = json.loads(json.dumps(config))
    functions = config["stages"][stage].setdefault("lambda_functions", {})
    for name in DATASET_FUNCTIONS:
        functions.setdefault(name, {}).update({"layers": [layer_arn], "lambda_timeout": 900,
                                               "lambda_memory_size": 2048})
    return config


def publish_dataset_layer(stage: str, bucket: str) -> str:
    """Build the layer, put it in the stage bucket by its hash and publish a version (a new one only when its
    content changed); its ARN."""
    import hashlib

    import boto3

    archive = build_dataset_layer(ROOT / "dist")
    data = archive.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = f"sharegpt-{stage}-dataset"
    lambda_client = boto3.client("lambda")
    for version in lambda_client.list_layer_versions(LayerName=name).get("LayerVersions", []):
        if version.get("Description") == digest:
            return str(version["LayerVersionArn"])
    key = f"layers/dataset-{digest}.zip"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    made = lambda_client.publish_layer_version(
        LayerName=name, Description=digest, Content={"S3Bucket": bucket, "S3Key": key},
        CompatibleRuntimes=[f"python{sys.version_info.major}.{sys.version_info.minor}"],
        CompatibleArchitectures=["x86_64"])
    return str(made["LayerVersionArn"])


def _cloudformation():
    import boto3

    return boto3.client("cloudformation")


def deploy_stack(stage: str, parameters: dict[str, str]) -> dict[str, str]:
    """Create or update the infra stack and return its outputs."""
    from botocore.exceptions import ClientError

    cloudformation = _cloudformation()
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in {"Stage": stage, **parameters}.items()]
    name = stack_name(stage)
    try:
        cloudformation.describe_stacks(StackName=name)
        exists = True
    except ClientError:
        exists = False
    try:
        if exists:
            cloudformation.update_stack(StackName=name, TemplateBody=TEMPLATE.read_text(), Parameters=params)
            cloudformation.get_waiter("stack_update_complete").wait(StackName=name)
        else:
            cloudformation.create_stack(StackName=name, TemplateBody=TEMPLATE.read_text(), Parameters=params)
            cloudformation.get_waiter("stack_create_complete").wait(StackName=name)
    except ClientError as exc:
        if "No updates are to be performed" not in str(exc):
            raise
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def api_domain(stage: str) -> str:
    """The deployed API's host, or "" before the first `chalice deploy`."""
    result = subprocess.run([str(CHALICE), "url", "--stage", stage], cwd=ROOT, capture_output=True, text=True)
    url = result.stdout.strip()
    return url.split("/")[2] if result.returncode == 0 and url.startswith("https://") else ""


def write_settings(stage: str, outputs: dict[str, str]) -> None:
    import boto3

    CONFIG.write_text(json.dumps(apply_outputs(json.loads(CONFIG.read_text()), stage, outputs), indent=2) + "\n")
    session = boto3.session.Session()
    account = boto3.client("sts").get_caller_identity()["Account"]
    policy = render(outputs["TablePrefix"], outputs["BucketName"], session.region_name, account,
                    outputs["UserPoolId"], outputs.get("DistributionId", "*"), outputs.get("LogBucketName"))
    (ROOT / ".chalice" / f"policy-{stage}.json").write_text(json.dumps(policy, indent=2) + "\n")


def chalice_deploy(stage: str) -> None:
    subprocess.run([str(CHALICE), "deploy", "--stage", stage], cwd=ROOT, check=True)


def throttle(stage: str, api_stage: str) -> None:
    import boto3

    deployed = json.loads((ROOT / ".chalice" / "deployed" / f"{stage}.json").read_text())
    rest_api_id = next(r["rest_api_id"] for r in deployed["resources"] if r["resource_type"] == "rest_api")
    boto3.client("apigateway").update_stage(restApiId=rest_api_id, stageName=api_stage,
                                            patchOperations=throttle_operations())


def republish_pages(stage: str) -> None:
    """Publish again the pages drawn by templates or static files this deploy changed (pages at the edge
    carry the version that drew them), with the stage's own settings."""
    import os
    import time

    env = json.loads(CONFIG.read_text())["stages"][stage].get("environment_variables", {})
    os.environ.update({k: str(v) for k, v in env.items()})
    from chalicelib import published, settings, sitefiles

    settings.get.cache_clear()
    print(f"Site files: {', '.join(sitefiles.publish())} (served by CloudFront at the site's root).")
    started = time.monotonic()
    # Queued, not drawn here: the republish_pages Lambda draws them, 20 at once (a million pages in well
    # under an hour), while the old pages stay readable.
    counts = published.enqueue_republish()
    print(f"Pages: {counts['pages']} queued in {counts['messages']} messages in {time.monotonic() - started:.0f} s; "
          "the republish_pages Lambda draws the stale ones again (CloudWatch: its 'republish' log lines).")


def refuse_other_regions() -> None:
    """Stop before any AWS write outside us-east-1 (the stack's CloudFrontRegion rule would refuse it anyway,
    after the first steps): CloudFront's log delivery and certificates are made there only."""
    import boto3

    region = boto3.session.Session().region_name
    if region != "us-east-1":
        sys.exit(f"The stack deploys in us-east-1 only (this session's region is {region or 'not set'}): "
                 "CloudFront's access-log delivery and its certificates can only be created there. "
                 "Set AWS_DEFAULT_REGION=us-east-1 and run it again; nothing was created.")


# Functions `chalice deploy` makes that the stack names by name (the share and cards functions' URLs, the
# queues' workers). On an upgrade that brings a new one, the stack cannot name it before chalice has made it: it is
# deployed without them (FunctionsDeployed=no), then chalice, then the stack again.
STACK_NAMED_FUNCTIONS = ("share", "cards", "republish_pages", "dataset_shards")


def missing_functions(stage: str) -> list[str]:
    """Which of the functions the stack names by name do not exist yet in this stage."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("lambda")
    missing = []
    for name in STACK_NAMED_FUNCTIONS:
        try:
            client.get_function_configuration(FunctionName=f"sharegpt-{stage}-{name}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            missing.append(name)
    return missing


def deploy(args: argparse.Namespace) -> None:
    refuse_other_regions()
    domains = {"SiteDomain": args.site_domain, "ShortDomain": args.short_domain,
               "CertificateArn": args.certificate_arn, "HostedZoneId": args.hosted_zone_id,
               "AbuseEmail": args.abuse_email}
    api_stage = json.loads(CONFIG.read_text())["stages"][args.stage].get("api_gateway_stage", "api")
    existing_api = api_domain(args.stage)
    # The pages' inline stylesheet by its hash, for the CSP the CDN gives published pages.
    domains["PageStyleHash"] = pages.style_source()
    waiting = missing_functions(args.stage) if existing_api else []
    outputs = deploy_stack(args.stage, {**domains, "ApiOriginDomain": existing_api, "ApiStageName": api_stage,
                                        "FunctionsDeployed": "no" if waiting else "yes"})
    write_settings(args.stage, outputs)
    layer = publish_dataset_layer(args.stage, outputs["BucketName"])
    configured = with_dataset_layer(json.loads(CONFIG.read_text()), args.stage, layer)
    CONFIG.write_text(json.dumps(configured, indent=2) + "\n")
    chalice_deploy(args.stage)
    new_api = api_domain(args.stage)
    if new_api != existing_api or "SiteUrl" not in outputs or waiting:
        # First deploy: the API exists now, so the CDN can front it; then redeploy with the settings naming it.
        # An upgrade that brought a new function: the stack names it now.
        outputs = deploy_stack(args.stage, {**domains, "ApiOriginDomain": new_api, "ApiStageName": api_stage,
                                            "FunctionsDeployed": "yes"})
        write_settings(args.stage, outputs)
        chalice_deploy(args.stage)
    throttle(args.stage, api_stage)
    republish_pages(args.stage)
    print(f"\nDeployed {args.stage}: {outputs.get('SiteUrl', 'https://' + new_api + '/' + api_stage)}")
    print("Point the extension's Options at that URL.")


def destroy(args: argparse.Namespace) -> None:
    import boto3

    subprocess.run([str(CHALICE), "delete", "--stage", args.stage], cwd=ROOT, check=False)
    cloudformation = _cloudformation()
    outputs = {o["OutputKey"]: o["OutputValue"] for o in
               cloudformation.describe_stacks(StackName=stack_name(args.stage))["Stacks"][0].get("Outputs", [])}
    # The log bucket goes with the stack (DeletionPolicy: Delete), which CloudFormation cannot do while it
    # holds objects: empty it first, or the delete ends DELETE_FAILED.
    if outputs.get("LogBucketName"):
        logs = boto3.resource("s3").Bucket(outputs["LogBucketName"])
        logs.objects.all().delete()
    cloudformation.delete_stack(StackName=stack_name(args.stage))
    cloudformation.get_waiter("stack_delete_complete").wait(StackName=stack_name(args.stage))
    if not args.delete_data:
        print("Tables and bucket kept (DeletionPolicy: Retain). `make destroy DELETE_DATA=1` removes them too.")
        return
    dynamodb = boto3.client("dynamodb")
    for name in ("conversations", "search", "counters"):
        table = f"{outputs['TablePrefix']}-{name}"
        dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
        dynamodb.delete_table(TableName=table)
    bucket = boto3.resource("s3").Bucket(outputs["BucketName"])
    bucket.objects.all().delete()
    bucket.delete()
    print("Tables and bucket deleted.")


def package(args: argparse.Namespace) -> None:
    import boto3

    session = boto3.session.Session()
    account = boto3.client("sts").get_caller_identity()["Account"]
    bucket = f"sharegpt-{args.stage}-{account}-{session.region_name}"
    policy = render(f"sharegpt-{args.stage}", bucket, session.region_name, account)
    (ROOT / ".chalice" / f"policy-{args.stage}.json").write_text(json.dumps(policy, indent=2) + "\n")
    subprocess.run([str(CHALICE), "package", "--stage", args.stage, "--merge-template", str(TEMPLATE),
                    str(ROOT / "dist" / f"package-{args.stage}")], cwd=ROOT, check=True)
    print(f"dist/package-{args.stage}/sam.yaml: see docs/deploying.md, 'Deploy as a single stack'.")


def deploy_single(args: argparse.Namespace) -> None:
    """Upload the package's code to an artifact bucket and deploy sam.yaml as one stack (no AWS CLI needed)."""
    import hashlib

    import boto3

    if not args.artifact_bucket:
        sys.exit("deploy-single needs ARTIFACT_BUCKET: an existing bucket for the Lambda code.")
    refuse_other_regions()
    package(args)
    out = ROOT / "dist" / f"package-{args.stage}"
    code = (out / "deployment.zip").read_bytes()
    key = f"sharegpt/{args.stage}/{hashlib.sha256(code).hexdigest()}.zip"
    boto3.client("s3").put_object(Bucket=args.artifact_bucket, Key=key, Body=code)
    from cfnlint.decode import cfn_yaml  # reads CloudFormation's YAML tags as their long forms

    merged = (out / "sam.yaml").read_text().replace("./deployment.zip", f"s3://{args.artifact_bucket}/{key}")
    layer = build_dataset_layer(ROOT / "dist").read_bytes()
    layer_key = f"sharegpt/{args.stage}/dataset-layer-{hashlib.sha256(layer).hexdigest()}.zip"
    boto3.client("s3").put_object(Bucket=args.artifact_bucket, Key=layer_key, Body=layer)
    template = json.dumps(single_stack_settings(cfn_yaml.loads(merged), (args.artifact_bucket, layer_key)))
    cloudformation = _cloudformation()
    name = f"sharegpt-{args.stage}"
    params = [{"ParameterKey": "Stage", "ParameterValue": args.stage},
              {"ParameterKey": "PageStyleHash", "ParameterValue": pages.style_source()}]
    if args.api_origin_domain:
        params.append({"ParameterKey": "ApiOriginDomain", "ParameterValue": args.api_origin_domain})
    change_set = cloudformation.create_change_set(
        StackName=name, ChangeSetName=f"deploy-{key[-20:-4]}", TemplateBody=template, Parameters=params,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        ChangeSetType="UPDATE" if _stack_exists(cloudformation, name) else "CREATE")
    cloudformation.get_waiter("change_set_create_complete").wait(ChangeSetName=change_set["Id"])
    cloudformation.execute_change_set(ChangeSetName=change_set["Id"])
    print(f"Deploying stack {name}; then run again with API_ORIGIN_DOMAIN=<the RestAPI host> for the CDN "
          "(its settings, the user pool's and the log bucket's, come from the stack itself).")


def _stack_exists(cloudformation: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        return bool(cloudformation.describe_stacks(StackName=name)["Stacks"])
    except ClientError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["deploy", "destroy", "package", "deploy-single"])
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    parser.add_argument("--site-domain", default="")
    parser.add_argument("--short-domain", default="")
    parser.add_argument("--certificate-arn", default="")
    parser.add_argument("--hosted-zone-id", default="")
    parser.add_argument("--abuse-email", default="", help="subscribed to the moderators' alerts topic")
    parser.add_argument("--delete-data", action="store_true")
    parser.add_argument("--artifact-bucket", default="")
    parser.add_argument("--api-origin-domain", default="")
    args = parser.parse_args()
    {"deploy": deploy, "destroy": destroy, "package": package, "deploy-single": deploy_single}[args.action](args)


if __name__ == "__main__":
    main()
