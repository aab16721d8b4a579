"""The local stack: a moto server (DynamoDB + S3 in memory) and `chalice local`, as used by
`make run`, the tests and the benchmarks. Nothing here is deployed."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The Fetch standard's "bad ports": browsers refuse them before sending anything (Chromium says
# ERR_UNSAFE_PORT), so a page could not reach a server there. https://fetch.spec.whatwg.org/#bad-port
BROWSER_BLOCKED_PORTS = frozenset({
    0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
    109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526,
    530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045,
    4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080})


def port_problem(port: int, name: str) -> str | None:
    """Why `make run` cannot use `port` for `name` (PORT or MOTO_PORT), in a sentence; None when it can."""
    if port in BROWSER_BLOCKED_PORTS:
        return (f"{name}={port} is a port browsers refuse to connect to (Chromium's ERR_UNSAFE_PORT): pages "
                f"could not reach it. Choose another, e.g. {name}={8000 if name == 'PORT' else 5005}.")
    if port_in_use(port):
        return f"Port {port} is already in use: stop what is running there (or set {name}=...)."
    return None


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def local_env(moto_port: int, **extra: str) -> dict[str, str]:
    """Environment for anything talking to the local moto server (fake credentials, fixed region)."""
    return {
        "STAGE": "local",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        **extra,
    }


def wait_until_up(url: str, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    """Poll `url` until it answers at all (any HTTP status), or fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def start_moto(port: int, log=subprocess.DEVNULL, persist: str | None = None) -> subprocess.Popen:
    """moto's server (DynamoDB, S3, CloudFormation... in memory), one request at a time like DynamoDB's
    atomic conditional writes (see moto_serial.py); with `persist`, restored from and saved to that file."""
    # HASH ids: the user pool keeps its id across a reset and re-create, so a running app's cached id holds.
    env = {**os.environ, "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
           "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH"}
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "moto_serial.py"), "-H", "127.0.0.1",
                                "-p", str(port), *(["--persist", persist] if persist else [])],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    wait_until_up(f"http://127.0.0.1:{port}/moto-api/", process)
    return process


def create_resources() -> None:
    """Tables, bucket and user pool, from the same definitions production uses (env must point at moto)."""
    from chalicelib import aws, models, settings

    models.create_tables()
    create_user_pool(settings.get().user_pool_name)
    # The republish queue (no Lambda polls it here: `make republish` drains it with the worker's code).
    aws.sqs().create_queue(QueueName=settings.get().republish_queue)
    aws.sqs().create_queue(QueueName=settings.get().dataset_queue)  # the dataset's shards (`make dataset`)
    client = aws.s3()
    bucket = settings.get().bucket
    if bucket not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=bucket)
    # In the cloud CloudFront serves avatars, images and cards from the private bucket; locally the browser
    # reads them from moto directly, so only those prefixes are readable without credentials.
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*" for prefix in PUBLIC_PREFIXES]}]}))
    stack = bucket_properties()
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
        "Rules": [_lifecycle_rule(rule) for rule in stack["LifecycleConfiguration"]["Rules"]]})
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": rule["AllowedMethods"], "AllowedOrigins": rule["AllowedOrigins"],
         "AllowedHeaders": rule["AllowedHeaders"], "MaxAgeSeconds": rule["MaxAge"]}
        for rule in stack["CorsConfiguration"]["CorsRules"]]})


PUBLIC_PREFIXES = ("avatars", "media", "cards")


def bucket_properties() -> dict:
    """The bucket's lifecycle and CORS rules as infra/stack.yaml declares them (one definition for both)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "infra" / "stack.yaml").read_text(), Loader=_Loader)
    return template["Resources"]["Bucket"]["Properties"]


def _lifecycle_rule(rule: dict) -> dict:
    """A CloudFormation lifecycle rule in the S3 API's spelling."""
    out: dict = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "Transitions" in rule:
        out["Transitions"] = [{"Days": t["TransitionInDays"], "StorageClass": t["StorageClass"]}
                              for t in rule["Transitions"]]
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]}
    return out


# The user pool as infra/stack.yaml declares it, as far as moto models it.
USER_POOL = dict(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
                 Policies={"PasswordPolicy": {"MinimumLength": 8, "RequireLowercase": False,
                                              "RequireUppercase": False, "RequireNumbers": False,
                                              "RequireSymbols": False}},
                 Schema=[{"Name": "display_name", "AttributeDataType": "String", "Mutable": True,
                          "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "40"}}])
USER_POOL_CLIENT = dict(ClientName="web", GenerateSecret=False,
                        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                        ReadAttributes=["email", "email_verified", "custom:display_name"], WriteAttributes=["email"])


def create_user_pool(name: str) -> tuple[str, str]:
    """The named user pool and its app client in moto (made once; found again after that)."""
    from chalicelib import aws

    client = aws.cognito_admin()
    pool_id = next((p["Id"] for p in client.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name), None)
    if pool_id is None:
        pool_id = client.create_user_pool(PoolName=name, **USER_POOL)["UserPool"]["Id"]
        # As infra/stack.yaml's ModeratorsGroup.
        client.create_group(GroupName="moderators", UserPoolId=pool_id, Description="Review reports and act on them.")
    clients = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    if clients:
        return pool_id, clients[0]["ClientId"]
    return pool_id, client.create_user_pool_client(UserPoolId=pool_id, **USER_POOL_CLIENT)["UserPoolClient"]["ClientId"]


def create_moderator(email: str, password: str, name: str = "Moderator") -> None:
    """A confirmed account in the moderators group (`make run` with MODERATOR_EMAIL and MODERATOR_PASSWORD);
    it signs in at /signin like anyone. Made again harmlessly if it exists."""
    from chalicelib import aws, settings

    client = aws.cognito_admin()
    pool_id, _ = create_user_pool(settings.get().user_pool_name)
    try:
        client.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:display_name", "Value": name}])
    except client.exceptions.UsernameExistsException:
        pass
    client.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    try:  # a pool kept from before the group existed (make run PERSIST=...)
        client.create_group(GroupName="moderators", UserPoolId=pool_id)
    except client.exceptions.GroupExistsException:
        pass
    client.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="moderators")


def start_chalice(port: int, env: dict[str, str], log=subprocess.DEVNULL) -> subprocess.Popen:
    """The real `chalice local` process (no autoreload: that would fork a second server), with a deeper
    listen queue and TCP_NODELAY (scripts/chalice_local.py)."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "chalice_local.py"), "local", "--stage", "local",
         "--host", "127.0.0.1", "--port", str(port),
         "--no-autoreload"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/robots.txt", process)  # needs no database
    return process


def stop(*processes: subprocess.Popen | None, timeout: float = 10) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
