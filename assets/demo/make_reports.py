#!/usr/bin/env python3
"""Regenerate the three drift reports of the bundled demo incident.

    python3 assets/demo/make_reports.py

Writes, deterministically (no clock, no randomness):

  reports/terraform-plan.json        `terraform show -json` of a normal plan (one line)
  reports/driftctl-scan.json         driftctl v0.39 `scan --deep --output json://`
  reports/cloudformation-drift.json  `aws cloudformation describe-stack-resource-drifts`

The story behind the values is in STORY.md; the CloudTrail side is produced by
cloudtrail/make_logs.py.  Keep the three in step when editing: addresses, ids
and eventIDs are what the tests key on.

The plan is built the way Terraform builds it: three values per resource
instance (previous run, live = refreshed, desired = planned) from which
resource_drift, resource_changes, prior_state and planned_values are derived,
and the sensitive / unknown masks are computed like jsonplan's
SensitiveAsBool / unknownAsBool (lists become arrays of false, maps {}).
"""

import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "reports")

ACCOUNT = "111122223333"
REGION = "eu-west-1"
PROVIDER = "registry.terraform.io/hashicorp/aws"
TF_VERSION = "1.9.8"
PLAN_TIME = "2026-11-22T07:58:41Z"

# The canaries: plaintext secrets that driftdeck must never print.
DB_PASS_OLD = "DEMO-CANARY-db-pass-7f3a91"
DB_PASS_NEW = "DEMO-CANARY-rotated-44c2e0"
TOKEN_OLD = "DEMO-CANARY-token-aa01"
TOKEN_NEW = "DEMO-CANARY-token-bb02"

DEFAULT_TAGS = {"ManagedBy": "terraform", "Stack": "platform"}

VPC = "vpc-0c4f1e2d3a5b69870"
SUBNETS = ["subnet-0a11b22c33d44e55f", "subnet-0f66e77d88c99b00a"]
AZS = ["eu-west-1a", "eu-west-1b"]
SG_WEB = "sg-0a1b2c3d4e5f60718"
SG_DB = "sg-0d4e5f60718293a4b"
INSTANCES = ["i-0d3adbeef10a2b3c4", "i-07f4c2a9be51d6e80"]
AMI = "ami-0e9085e60087ce171"
KMS_ID = "0f6e1d2c-3b4a-4958-8776-a5b4c3d2e1f0"
KMS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KMS_ID}"
EBS_KMS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5b1e7c3a-90d2-4e6f-a8b4-2c9d0e1f3a57"
TRAIL_BUCKET = f"corp-platform-cloudtrail-{ACCOUNT}"
TRAIL_CW_ROLE = f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-cloudwatch"
MONITORING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/rds-enhanced-monitoring"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def tags_all(tags):
    out = dict(DEFAULT_TAGS)
    out.update(tags)
    return out


def compact(doc):
    """Terraform's jsonencode(): keys sorted, no whitespace."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------
# IAM documents.  The same statements appear in different spellings on
# purpose: state keeps jsonencode()'s sorted compact form, the live value is
# whatever the last writer sent (pretty printed, other key order).
# --------------------------------------------------------------------------

DEPLOY_STATEMENTS = [
    {
        "Sid": "PushArtifacts",
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
        "Resource": [
            f"arn:aws:s3:::corp-artifacts-{ACCOUNT}",
            f"arn:aws:s3:::corp-artifacts-{ACCOUNT}/*",
        ],
    },
    {
        "Sid": "UpdateIngest",
        "Effect": "Allow",
        "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
        "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:platform-ingest",
    },
]
# What the provider plans and stores for jsonencode(...): "Version" first, then
# the statements with their keys sorted (checked against a real plan).
DEPLOY_POLICY_CONFIG = ('{"Version":"2012-10-17","Statement":'
                        + json.dumps(DEPLOY_STATEMENTS, sort_keys=True, separators=(",", ":")) + "}")

# What bob sent with `aws iam put-role-policy --policy-document file://deploy.json`
# (CloudTrail shows exactly this string as requestParameters.policyDocument).
DEPLOY_POLICY_LIVE = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PushArtifacts",
      "Effect": "Allow",
      "Resource": [
        "arn:aws:s3:::corp-artifacts-111122223333",
        "arn:aws:s3:::corp-artifacts-111122223333/*"
      ],
      "Action": [
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket"
      ]
    },
    {
      "Effect": "Allow",
      "Sid": "UpdateIngest",
      "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
      "Resource": "arn:aws:lambda:eu-west-1:111122223333:function:platform-ingest"
    },
    {
      "Sid": "HotfixBreakGlass",
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}"""

CI_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:corp/platform-infra:*"},
            },
        }
    ],
}
CI_TRUST_CONFIG = compact(CI_TRUST)
# Same document as IAM hands it back: declaration order, not sorted.  Must
# produce NO drift once both sides are decoded.
CI_TRUST_LIVE = json.dumps(CI_TRUST, separators=(",", ":"))
assert CI_TRUST_LIVE != CI_TRUST_CONFIG and json.loads(CI_TRUST_LIVE) == json.loads(CI_TRUST_CONFIG)

LAMBDA_TRUST_CONFIG = compact({
    "Version": "2012-10-17",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                   "Principal": {"Service": "lambda.amazonaws.com"}}],
})

KMS_POLICY = compact({
    "Id": "key-default-1",
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "kms:*", "Resource": "*"}],
})

# --------------------------------------------------------------------------
# Resource instance values (provider 5.70 attribute sets)
# --------------------------------------------------------------------------


def sg_rule(cidr, port, desc):
    return {
        "cidr_blocks": [cidr], "description": desc, "from_port": port,
        "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
        "security_groups": [], "self": False, "to_port": port,
    }


R443 = sg_rule("10.40.0.0/16", 443, "https from internal ALB")
R80 = sg_rule("10.40.0.0/16", 80, "http redirect from internal ALB")
R22 = sg_rule("0.0.0.0/0", 22, "temp debug - bob INC-4817")
EGRESS_ALL = {
    "cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0,
    "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1",
    "security_groups": [], "self": False, "to_port": 0,
}

SG_WEB_PREV = {
    "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{SG_WEB}",
    "description": "web tier - managed by terraform",
    "egress": [EGRESS_ALL],
    "id": SG_WEB,
    "ingress": [R443, R80],
    "name": "web-prod",
    "name_prefix": "",
    "owner_id": ACCOUNT,
    "revoke_rules_on_delete": False,
    "tags": {"Name": "web-prod", "Tier": "web"},
    "tags_all": tags_all({"Name": "web-prod", "Tier": "web"}),
    "timeouts": None,
    "vpc_id": VPC,
}
SG_WEB_LIVE = copy.deepcopy(SG_WEB_PREV)
SG_WEB_PREV["ingress"] = [R443, R80]           # written by an older run: other order
SG_WEB_LIVE["ingress"] = [R22, R80, R443]      # cty set order, as a real plan prints it
SG_WEB_DESIRED = copy.deepcopy(SG_WEB_PREV)
SG_WEB_DESIRED["ingress"] = [R80, R443]


def instance(i, itype, cores, extra_tags=None):
    t = {"Name": f"web-{i}", "Tier": "web"}
    t.update(extra_tags or {})
    ip = ["10.40.1.23", "10.40.2.57"][i]
    return {
        "ami": AMI,
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{INSTANCES[i]}",
        "associate_public_ip_address": False,
        "availability_zone": AZS[i],
        "capacity_reservation_specification": [
            {"capacity_reservation_preference": "open", "capacity_reservation_target": []}],
        "cpu_core_count": cores,
        "cpu_options": [{"amd_sev_snp": "", "core_count": cores, "threads_per_core": 2}],
        "cpu_threads_per_core": 2,
        "credit_specification": [{"cpu_credits": "unlimited"}],
        "disable_api_stop": False,
        "disable_api_termination": False,
        "ebs_block_device": [],
        "ebs_optimized": False,
        "enable_primary_ipv6": None,
        "enclave_options": [{"enabled": False}],
        "ephemeral_block_device": [],
        "get_password_data": False,
        "hibernation": False,
        "host_id": "",
        "host_resource_group_arn": None,
        "iam_instance_profile": "web-prod",
        "id": INSTANCES[i],
        "instance_initiated_shutdown_behavior": "stop",
        "instance_lifecycle": "",
        "instance_market_options": [],
        "instance_state": "running",
        "instance_type": itype,
        "ipv6_address_count": 0,
        "ipv6_addresses": [],
        "key_name": "",
        "launch_template": [],
        "maintenance_options": [{"auto_recovery": "default"}],
        "metadata_options": [{
            "http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
            "http_put_response_hop_limit": 2, "http_tokens": "required",
            "instance_metadata_tags": "disabled"}],
        "monitoring": True,
        "network_interface": [],
        "outpost_arn": "",
        "password_data": "",
        "placement_group": "",
        "placement_partition_number": 0,
        "primary_network_interface_id": ["eni-0b7c1d2e3f4a5b6c7", "eni-05d6e7f8a9b0c1d2e"][i],
        "private_dns": f"ip-{ip.replace('.', '-')}.{REGION}.compute.internal",
        "private_dns_name_options": [{
            "enable_resource_name_dns_a_record": False,
            "enable_resource_name_dns_aaaa_record": False,
            "hostname_type": "ip-name"}],
        "private_ip": ip,
        "public_dns": "",
        "public_ip": "",
        "root_block_device": [{
            "delete_on_termination": True, "device_name": "/dev/xvda", "encrypted": True,
            "iops": 3000, "kms_key_id": EBS_KMS_ARN, "tags": {}, "tags_all": {},
            "throughput": 125,
            "volume_id": ["vol-0a9b8c7d6e5f40312", "vol-03c4d5e6f7a8b9c0d"][i],
            "volume_size": 20, "volume_type": "gp3"}],
        "secondary_private_ips": [],
        "security_groups": [],
        "source_dest_check": True,
        "spot_instance_request_id": "",
        "subnet_id": SUBNETS[i],
        "tags": t,
        "tags_all": tags_all(t),
        "tenancy": "default",
        "timeouts": None,
        "user_data": None,
        "user_data_base64": None,
        "user_data_replace_on_change": False,
        "volume_tags": None,
        "vpc_security_group_ids": [SG_WEB],
    }


WEB0_PREV = instance(0, "t3.medium", 1)
WEB0_LIVE = instance(0, "t3.xlarge", 2)          # resized by hand; cores follow
WEB0_DESIRED = instance(0, "t3.medium", 2)       # core count is Optional+Computed: kept
WEB1_PREV = instance(1, "t3.medium", 1)
WEB1_LIVE = instance(1, "t3.medium", 1, {"debug": "true"})
WEB1_DESIRED = instance(1, "t3.medium", 1)


def iam_role(name, trust, desc, tags, uid, created, managed=None):
    return {
        "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "assume_role_policy": trust,
        "create_date": created,
        "description": desc,
        "force_detach_policies": False,
        "id": name,
        "inline_policy": [],
        "managed_policy_arns": managed or [],
        "max_session_duration": 3600,
        "name": name,
        "name_prefix": "",
        "path": "/",
        "permissions_boundary": "",
        "tags": tags,
        "tags_all": tags_all(tags),
        "unique_id": uid,
    }


CI_DESC = "GitHub Actions OIDC role for platform CI (plan only)"
CI_PREV = iam_role("platform-ci", CI_TRUST_CONFIG, CI_DESC, {"Team": "platform"},
                   "AROARZ3Q4EXMPLPLATCI1", "2025-03-04T10:21:37Z",
                   ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
CI_LIVE = iam_role("platform-ci", CI_TRUST_LIVE, CI_DESC,
                   {"Team": "platform", "cost-center": "CC-4410"},
                   "AROARZ3Q4EXMPLPLATCI1", "2025-03-04T10:21:37Z",
                   ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
# The provider suppresses equivalent-policy diffs, so the planned value keeps
# the live spelling: desired == live for assume_role_policy.
CI_DESIRED = copy.deepcopy(CI_PREV)
CI_DESIRED["assume_role_policy"] = CI_TRUST_LIVE

INGEST_ROLE = iam_role("platform-ingest", LAMBDA_TRUST_CONFIG,
                       "execution role of the platform-ingest function",
                       {"Team": "platform"}, "AROARZ3Q4EXMPLINGST01", "2025-03-04T10:21:37Z",
                       ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"])

INGEST_ATTACH = {
    "id": "platform-ingest-20250304102139518600000001",
    "policy_arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "role": "platform-ingest",
}


def role_policy(doc):
    return {
        "id": "platform-deploy:platform-deploy-inline",
        "name": "platform-deploy-inline",
        "name_prefix": "",
        "policy": doc,
        "role": "platform-deploy",
    }


DEPLOY_PREV = role_policy(DEPLOY_POLICY_CONFIG)
DEPLOY_LIVE = role_policy(DEPLOY_POLICY_LIVE)
DEPLOY_DESIRED = role_policy(DEPLOY_POLICY_CONFIG)


def kms_key(rotation):
    return {
        "arn": KMS_ARN,
        "bypass_policy_lockout_safety_check": False,
        "custom_key_store_id": "",
        "customer_master_key_spec": "SYMMETRIC_DEFAULT",
        "deletion_window_in_days": 30,
        "description": "platform data key (S3, logs, trail)",
        "enable_key_rotation": rotation,
        "id": KMS_ID,
        "is_enabled": True,
        "key_id": KMS_ID,
        "key_usage": "ENCRYPT_DECRYPT",
        "multi_region": False,
        "policy": KMS_POLICY,
        "rotation_period_in_days": 365,
        "tags": {"Name": "platform-data"},
        "tags_all": tags_all({"Name": "platform-data"}),
        "timeouts": None,
        "xks_key_id": "",
    }


KMS_ALIAS = {
    "arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/platform-data",
    "id": "alias/platform-data",
    "name": "alias/platform-data",
    "name_prefix": "",
    "target_key_arn": KMS_ARN,
    "target_key_id": KMS_ID,
}

LOG_GROUP = {
    "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/platform/audit",
    "id": "/platform/audit",
    "kms_key_id": KMS_ARN,
    "log_group_class": "STANDARD",
    "name": "/platform/audit",
    "name_prefix": "",
    "retention_in_days": 365,
    "skip_destroy": False,
    "tags": {"Name": "platform-audit"},
    "tags_all": tags_all({"Name": "platform-audit"}),
}
LOG_GROUP_UNKNOWN = ["arn", "id", "log_group_class", "name_prefix"]


def trail(logging):
    return {
        "advanced_event_selector": [],
        "arn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/platform-audit",
        "cloud_watch_logs_group_arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/platform/audit:*",
        "cloud_watch_logs_role_arn": TRAIL_CW_ROLE,
        "enable_log_file_validation": True,
        "enable_logging": logging,
        "event_selector": [],
        "home_region": REGION,
        "id": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/platform-audit",
        "include_global_service_events": True,
        "insight_selector": [],
        "is_multi_region_trail": True,
        "is_organization_trail": False,
        "kms_key_id": KMS_ARN,
        "name": "platform-audit",
        "s3_bucket_name": TRAIL_BUCKET,
        "s3_key_prefix": "",
        "sns_topic_arn": "",
        "sns_topic_name": "",
        "tags": {"Name": "platform-audit"},
        "tags_all": tags_all({"Name": "platform-audit"}),
    }


def bucket(name, sse_alg, kms, tags):
    return {
        "acceleration_status": "",
        "acl": None,
        "arn": f"arn:aws:s3:::{name}",
        "bucket": name,
        "bucket_domain_name": f"{name}.s3.amazonaws.com",
        "bucket_prefix": "",
        "bucket_regional_domain_name": f"{name}.s3.{REGION}.amazonaws.com",
        "cors_rule": [],
        "force_destroy": False,
        "grant": [{"id": "b8f1c3a5e7d9402f6a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f",
                   "permissions": ["FULL_CONTROL"], "type": "CanonicalUser", "uri": ""}],
        "hosted_zone_id": "Z1BKCTXD74EZPE",
        "id": name,
        "lifecycle_rule": [],
        "logging": [],
        "object_lock_configuration": [],
        "object_lock_enabled": False,
        "policy": "",
        "region": REGION,
        "replication_configuration": [],
        "request_payer": "BucketOwner",
        "server_side_encryption_configuration": [{"rule": [{
            "apply_server_side_encryption_by_default": [
                {"kms_master_key_id": kms, "sse_algorithm": sse_alg}],
            "bucket_key_enabled": sse_alg == "aws:kms"}]}],
        "tags": tags,
        "tags_all": tags_all(tags),
        "timeouts": None,
        "versioning": [{"enabled": True, "mfa_delete": False}],
        "website": [],
        "website_domain": None,
        "website_endpoint": None,
    }


TRAIL_BUCKET_V = bucket(TRAIL_BUCKET, "AES256", "", {"Name": "platform-cloudtrail"})


def lambda_fn(memory, token, modified):
    return {
        "architectures": ["arm64"],
        "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:platform-ingest",
        "code_sha256": "q3bW1c0m7yJm0Jr4cV9o1HqzL5wq6m3c2n8pK1sT0aE=",
        "code_signing_config_arn": "",
        "dead_letter_config": [],
        "description": "pulls the partner feed into the data bucket",
        "environment": [{"variables": {
            "API_TOKEN": token,
            "DATA_BUCKET": f"corp-app-eu-data-{ACCOUNT}",
            "LOG_LEVEL": "info"}}],
        "ephemeral_storage": [{"size": 512}],
        "file_system_config": [],
        "filename": "build/ingest.zip",
        "function_name": "platform-ingest",
        "handler": "app.handler",
        "id": "platform-ingest",
        "image_config": [],
        "image_uri": "",
        "invoke_arn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                      f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:platform-ingest/invocations",
        "kms_key_arn": "",
        "last_modified": modified,
        "layers": [],
        "logging_config": [{"application_log_level": "", "log_format": "Text",
                            "log_group": "/aws/lambda/platform-ingest", "system_log_level": ""}],
        "memory_size": memory,
        "package_type": "Zip",
        "publish": False,
        "qualified_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:platform-ingest:$LATEST",
        "qualified_invoke_arn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:platform-ingest:$LATEST/invocations",
        "replace_security_groups_on_destroy": None,
        "replacement_security_group_ids": None,
        "reserved_concurrent_executions": -1,
        "role": f"arn:aws:iam::{ACCOUNT}:role/platform-ingest",
        "runtime": "python3.12",
        "s3_bucket": None,
        "s3_key": None,
        "s3_object_version": None,
        "signing_job_arn": "",
        "signing_profile_version_arn": "",
        "skip_destroy": False,
        "snap_start": [],
        "source_code_hash": "q3bW1c0m7yJm0Jr4cV9o1HqzL5wq6m3c2n8pK1sT0aE=",
        "source_code_size": 4821733,
        "tags": {"Team": "platform"},
        "tags_all": tags_all({"Team": "platform"}),
        "timeout": 30,
        "timeouts": None,
        "tracing_config": [{"mode": "Active"}],
        "version": "$LATEST",
        "vpc_config": [],
    }


INGEST_PREV = lambda_fn(512, TOKEN_OLD, "2026-11-19T09:13:31.000+0000")
INGEST_LIVE = lambda_fn(1024, TOKEN_NEW, "2026-11-20T22:09:55.381+0000")
INGEST_DESIRED = lambda_fn(512, TOKEN_OLD, None)
INGEST_UNKNOWN = ["last_modified"]

# ---- module.app instances --------------------------------------------------


def app_bucket_name(key):
    return f"corp-app-{key}-data-{ACCOUNT}"


def sse_config(key, alg, kms):
    return {
        "bucket": app_bucket_name(key),
        "expected_bucket_owner": "",
        "id": app_bucket_name(key),
        "rule": [{
            "apply_server_side_encryption_by_default": [
                {"kms_master_key_id": kms, "sse_algorithm": alg}],
            "bucket_key_enabled": alg == "aws:kms"}],
    }


def pab(key, acls, restrict):
    return {
        "block_public_acls": acls,
        "block_public_policy": True,
        "bucket": app_bucket_name(key),
        "id": app_bucket_name(key),
        "ignore_public_acls": True,
        "restrict_public_buckets": restrict,
    }


def db(password, retention, restorable):
    tags = {"App": "eu", "Name": "app-eu-main"}
    return {
        "address": "app-eu-main.c9akciq32jxz.eu-west-1.rds.amazonaws.com",
        "allocated_storage": 100,
        "allow_major_version_upgrade": None,
        "apply_immediately": False,
        "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:app-eu-main",
        "auto_minor_version_upgrade": True,
        "availability_zone": "eu-west-1a",
        "backup_retention_period": retention,
        "backup_target": "region",
        "backup_window": "02:00-02:30",
        "blue_green_update": [],
        "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "character_set_name": "",
        "copy_tags_to_snapshot": True,
        "custom_iam_instance_profile": "",
        "customer_owned_ip_enabled": False,
        "db_name": "app",
        "db_subnet_group_name": "platform-db",
        "dedicated_log_volume": False,
        "delete_automated_backups": True,
        "deletion_protection": True,
        "domain": "",
        "domain_auth_secret_arn": "",
        "domain_dns_ips": [],
        "domain_fqdn": "",
        "domain_iam_role_name": "",
        "domain_ou": "",
        "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"],
        "endpoint": "app-eu-main.c9akciq32jxz.eu-west-1.rds.amazonaws.com:5432",
        "engine": "postgres",
        "engine_lifecycle_support": "open-source-rds-extended-support",
        "engine_version": "16.4",
        "engine_version_actual": "16.4",
        "final_snapshot_identifier": "app-eu-main-final",
        "hosted_zone_id": "Z29XKXDKYMONMX",
        "iam_database_authentication_enabled": False,
        "id": "db-7XKQ2M5VZJ4TNHPL3R6YWB2CGE",
        "identifier": "app-eu-main",
        "identifier_prefix": "",
        "instance_class": "db.r6g.large",
        "iops": 3000,
        "kms_key_id": KMS_ARN,
        "latest_restorable_time": restorable,
        "license_model": "postgresql-license",
        "listener_endpoint": [],
        "maintenance_window": "sun:03:00-sun:04:00",
        "manage_master_user_password": None,
        "master_user_secret": [],
        "master_user_secret_kms_key_id": None,
        "max_allocated_storage": 500,
        "monitoring_interval": 60,
        "monitoring_role_arn": MONITORING_ROLE,
        "multi_az": True,
        "nchar_character_set_name": "",
        "network_type": "IPV4",
        "option_group_name": "default:postgres-16",
        "parameter_group_name": "default.postgres16",
        "password": password,
        "performance_insights_enabled": True,
        "performance_insights_kms_key_id": KMS_ARN,
        "performance_insights_retention_period": 7,
        "port": 5432,
        "publicly_accessible": False,
        "replica_mode": "",
        "replicas": [],
        "replicate_source_db": "",
        "resource_id": "db-7XKQ2M5VZJ4TNHPL3R6YWB2CGE",
        "restore_to_point_in_time": [],
        "s3_import": [],
        "skip_final_snapshot": False,
        "snapshot_identifier": None,
        "status": "available",
        "storage_encrypted": True,
        "storage_throughput": 125,
        "storage_type": "gp3",
        "tags": tags,
        "tags_all": tags_all(tags),
        "timeouts": None,
        "timezone": "",
        "upgrade_storage_config": None,
        "username": "app_admin",
        "vpc_security_group_ids": [SG_DB],
    }


DB_PREV = db(DB_PASS_OLD, 7, "2026-11-19T09:10:00Z")
# latest_restorable_time moves on every refresh: read-back noise, not in
# relevant_attributes.
DB_LIVE = db(DB_PASS_NEW, 1, "2026-11-22T07:55:00Z")
DB_DESIRED = db(DB_PASS_OLD, 7, "2026-11-22T07:55:00Z")
DB_SENSITIVE = {("password",)}

# --------------------------------------------------------------------------
# The instance table: every managed resource instance in the workspace.
# --------------------------------------------------------------------------

EU = 'module.app["eu"]'
AN = 'module.app["analytics"]'


def R(module, rtype, name, index, schema, prev, live, desired, unknown=(),
      sensitive=frozenset(), depends_on=()):
    return dict(module=module, type=rtype, name=name, index=index, schema=schema,
                prev=prev, live=live, desired=desired, unknown=list(unknown),
                sensitive=set(sensitive), depends_on=list(depends_on))


def same(v):
    return v, copy.deepcopy(v), copy.deepcopy(v)


INSTANCES_TABLE = [
    R(None, "aws_kms_key", "data", None, 0, kms_key(True), kms_key(False), kms_key(True)),
    R(None, "aws_kms_alias", "data", None, 0, *same(KMS_ALIAS), depends_on=["aws_kms_key.data"]),
    R(None, "aws_security_group", "web", None, 1, SG_WEB_PREV, SG_WEB_LIVE, SG_WEB_DESIRED),
    R(None, "aws_instance", "web", 0, 1, WEB0_PREV, WEB0_LIVE, WEB0_DESIRED,
      depends_on=["aws_security_group.web"]),
    R(None, "aws_instance", "web", 1, 1, WEB1_PREV, WEB1_LIVE, WEB1_DESIRED,
      depends_on=["aws_security_group.web"]),
    R(None, "aws_iam_role", "ci", None, 0, CI_PREV, CI_LIVE, CI_DESIRED),
    R(None, "aws_iam_role", "ingest", None, 0, *same(INGEST_ROLE)),
    R(None, "aws_iam_role_policy_attachment", "ingest_basic", None, 0, *same(INGEST_ATTACH),
      depends_on=["aws_iam_role.ingest"]),
    R(None, "aws_iam_role_policy", "deploy", None, 0, DEPLOY_PREV, DEPLOY_LIVE, DEPLOY_DESIRED),
    R(None, "aws_lambda_function", "ingest", None, 0, INGEST_PREV, INGEST_LIVE, INGEST_DESIRED,
      unknown=INGEST_UNKNOWN,
      depends_on=["aws_iam_role.ingest", "aws_iam_role_policy_attachment.ingest_basic",
                  "module.app.aws_s3_bucket.data"]),
    R(None, "aws_cloudwatch_log_group", "audit", None, 0, LOG_GROUP, None, LOG_GROUP,
      unknown=LOG_GROUP_UNKNOWN, depends_on=["aws_kms_key.data"]),
    R(None, "aws_s3_bucket", "trail", None, 0, *same(TRAIL_BUCKET_V)),
    R(None, "aws_cloudtrail", "main", None, 1, trail(True), trail(False), trail(True),
      unknown=["cloud_watch_logs_group_arn"],
      depends_on=["aws_cloudwatch_log_group.audit", "aws_kms_key.data", "aws_s3_bucket.trail"]),
    # module.app["analytics"]: no database, nothing drifted
    R(AN, "aws_s3_bucket", "data", None, 0,
      *same(bucket(app_bucket_name("analytics"), "aws:kms", KMS_ARN, {"App": "analytics"}))),
    R(AN, "aws_s3_bucket_server_side_encryption_configuration", "data", None, 0,
      *same(sse_config("analytics", "aws:kms", KMS_ARN)),
      depends_on=["aws_kms_key.data", "module.app.aws_s3_bucket.data"]),
    R(AN, "aws_s3_bucket_public_access_block", "data", None, 0,
      *same(pab("analytics", True, True)), depends_on=["module.app.aws_s3_bucket.data"]),
    # module.app["eu"]
    R(EU, "aws_s3_bucket", "data", None, 0,
      # prior_state is the refreshed object, so the bucket's (deprecated,
      # computed) SSE block already shows AES256; see STORY.md.
      *same(bucket(app_bucket_name("eu"), "AES256", "", {"App": "eu"}))),
    R(EU, "aws_s3_bucket_server_side_encryption_configuration", "data", None, 0,
      sse_config("eu", "aws:kms", KMS_ARN), sse_config("eu", "AES256", ""),
      sse_config("eu", "aws:kms", KMS_ARN),
      depends_on=["aws_kms_key.data", "module.app.aws_s3_bucket.data"]),
    R(EU, "aws_s3_bucket_public_access_block", "data", None, 0,
      pab("eu", True, True), pab("eu", False, False), pab("eu", True, True),
      depends_on=["module.app.aws_s3_bucket.data"]),
    R(EU, "aws_db_instance", "main", 0, 2, DB_PREV, DB_LIVE, DB_DESIRED,
      sensitive=DB_SENSITIVE, depends_on=["aws_kms_key.data"]),
]

# relevant_attributes exactly as Terraform computes it for this change set
# (checked with a real `terraform plan` of these sources): the attributes that
# the *planned changes read*, found by static analysis of the configuration.
# Note the mixed address forms (module.app.… without instance key next to
# module.app["eu"].…), the empty path for a whole-resource reference and the
# unsorted order.  Drifted attributes that the plan simply reverts are NOT
# listed: Terraform shows those through the planned update itself.
RELEVANT = [
    ('module.app["eu"].aws_db_instance.main', []),
    ("aws_iam_role.ingest", ["arn"]),
    ("module.app.aws_db_instance.main", []),
    ("module.app.aws_s3_bucket.data", ["id"]),
    ("aws_cloudwatch_log_group.audit", ["arn"]),
    ("aws_s3_bucket.trail", ["id"]),
    ("aws_security_group.web", ["id"]),
    ('module.app["analytics"].aws_s3_bucket.data', ["id"]),
    ("aws_kms_key.data", ["arn"]),
    ('module.app["eu"].aws_s3_bucket.data', ["id"]),
]

# --------------------------------------------------------------------------
# Masks
# --------------------------------------------------------------------------


def as_bool(v, marked, path=()):
    """jsonplan SensitiveAsBool / unknownAsBool over a plain JSON value."""
    if path in marked:
        return True
    if v is None or isinstance(v, (bool, int, float, str)):
        return False
    if isinstance(v, list):
        return [as_bool(e, marked, path + (i,)) for i, e in enumerate(v)]
    out = {}
    for k in sorted(v):
        b = as_bool(v[k], marked, path + (k,))
        if b is not False:
            out[k] = b
    return out


def without(v, keys):
    v = copy.deepcopy(v)
    for k in keys:
        v.pop(k, None)
    return v


def sort_keys(v):
    if isinstance(v, dict):
        return {k: sort_keys(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [sort_keys(e) for e in v]
    return v


def address(r):
    a = f"{r['type']}.{r['name']}"
    if isinstance(r["index"], int):
        a += f"[{r['index']}]"
    elif isinstance(r["index"], str):
        a += f'["{r["index"]}"]'
    return f"{r['module']}.{a}" if r["module"] else a


def head(r):
    h = {"address": address(r)}
    if r["module"]:
        h["module_address"] = r["module"]
    h.update({"mode": "managed", "type": r["type"], "name": r["name"]})
    if r["index"] is not None:
        h["index"] = r["index"]
    h["provider_name"] = PROVIDER
    return h


def change(actions, before, after, before_marks, after_marks, unknown=()):
    after_known = without(after, unknown) if after is not None else None
    # jsonplan: a wholly known (or null) planned value gets after_unknown {}
    au = {}
    if unknown:
        au = as_bool(after_known, set())
        for k in unknown:
            au[k] = True
        au = sort_keys(au)
    return {
        "actions": actions,
        "before": sort_keys(before),
        "after": sort_keys(after_known),
        "after_unknown": au,
        "before_sensitive": as_bool(before, before_marks) if before is not None else False,
        "after_sensitive": as_bool(after_known, after_marks) if after is not None else False,
    }


def state_resource(r, value, unknown=()):
    v = without(value, unknown)
    out = head(r)
    out.pop("module_address", None)
    out["schema_version"] = r["schema"]
    out["values"] = sort_keys(v)
    out["sensitive_values"] = as_bool(v, r["sensitive"])
    return out


def module_tree(resources):
    root, children = [], {}
    for rr, r in resources:
        (children.setdefault(r["module"], []) if r["module"] else root).append(rr)
    tree = {"resources": sorted(root, key=lambda x: x["address"])}
    if children:
        tree["child_modules"] = [
            {"resources": sorted(children[m], key=lambda x: x["address"]), "address": m}
            for m in sorted(children)]
    return tree


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------


def C(v):
    return {"constant_value": v}


def REF(*refs):
    return {"references": list(refs)}


def cfg_ingress(rule):
    return {"cidr_blocks": rule["cidr_blocks"], "description": rule["description"],
            "from_port": rule["from_port"], "ipv6_cidr_blocks": None, "prefix_list_ids": None,
            "protocol": rule["protocol"], "security_groups": None, "self": None,
            "to_port": rule["to_port"]}


def cfg_res(rtype, name, expressions, schema, count=None, for_each=None, depends_on=None):
    r = {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name,
         "provider_config_key": "aws", "expressions": expressions, "schema_version": schema}
    if count:
        r["count_expression"] = count
    if for_each:
        r["for_each_expression"] = for_each
    if depends_on:
        r["depends_on"] = depends_on
    return r


ROOT_RESOURCES = [
    cfg_res("aws_cloudtrail", "main", {
        "cloud_watch_logs_group_arn": REF("aws_cloudwatch_log_group.audit.arn",
                                          "aws_cloudwatch_log_group.audit"),
        "cloud_watch_logs_role_arn": REF("var.trail_cw_role_arn"),
        "enable_log_file_validation": C(True),
        "enable_logging": C(True),
        "include_global_service_events": C(True),
        "is_multi_region_trail": C(True),
        "kms_key_id": REF("aws_kms_key.data.arn", "aws_kms_key.data"),
        "name": C("platform-audit"),
        "s3_bucket_name": REF("aws_s3_bucket.trail.id", "aws_s3_bucket.trail"),
        "tags": C({"Name": "platform-audit"}),
    }, 1),
    cfg_res("aws_cloudwatch_log_group", "audit", {
        "kms_key_id": REF("aws_kms_key.data.arn", "aws_kms_key.data"),
        "name": C("/platform/audit"),
        "retention_in_days": C(365),
        "tags": C({"Name": "platform-audit"}),
    }, 0),
    cfg_res("aws_iam_role", "ci", {
        "assume_role_policy": REF("var.account_id"),
        "description": C(CI_DESC),
        "managed_policy_arns": C(["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
        "name": C("platform-ci"),
        "tags": C({"Team": "platform"}),
    }, 0),
    cfg_res("aws_iam_role", "ingest", {
        "assume_role_policy": {},
        "description": C("execution role of the platform-ingest function"),
        "name": C("platform-ingest"),
        "tags": C({"Team": "platform"}),
    }, 0),
    cfg_res("aws_iam_role_policy", "deploy", {
        "name": C("platform-deploy-inline"),
        "policy": {},
        "role": REF("var.deploy_role_name"),
    }, 0),
    cfg_res("aws_iam_role_policy_attachment", "ingest_basic", {
        "policy_arn": C("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
        "role": REF("aws_iam_role.ingest.name", "aws_iam_role.ingest"),
    }, 0),
    cfg_res("aws_instance", "web", {
        "ami": REF("var.web_ami"),
        "credit_specification": [{"cpu_credits": C("unlimited")}],
        "iam_instance_profile": C("web-prod"),
        "instance_type": REF("var.web_instance_type"),
        "metadata_options": [{"http_put_response_hop_limit": C(2), "http_tokens": C("required")}],
        "monitoring": C(True),
        "root_block_device": [{"encrypted": C(True), "volume_size": C(20),
                               "volume_type": C("gp3")}],
        "subnet_id": REF("var.private_subnet_ids", "count.index"),
        "tags": REF("local.web_tags", "count.index"),
        "vpc_security_group_ids": REF("aws_security_group.web.id", "aws_security_group.web"),
    }, 1, count=REF("var.web_instance_count")),
    cfg_res("aws_kms_alias", "data", {
        "name": C("alias/platform-data"),
        "target_key_id": REF("aws_kms_key.data.key_id", "aws_kms_key.data"),
    }, 0),
    cfg_res("aws_kms_key", "data", {
        "deletion_window_in_days": C(30),
        "description": C("platform data key (S3, logs, trail)"),
        "enable_key_rotation": C(True),
        "tags": C({"Name": "platform-data"}),
    }, 0),
    cfg_res("aws_lambda_function", "ingest", {
        "architectures": C(["arm64"]),
        "description": C("pulls the partner feed into the data bucket"),
        "environment": [{"variables": REF("var.ingest_api_token",
                                          'module.app["eu"].bucket_name',
                                          'module.app["eu"]')}],
        "filename": C("build/ingest.zip"),
        "function_name": C("platform-ingest"),
        "handler": C("app.handler"),
        "memory_size": C(512),
        "role": REF("aws_iam_role.ingest.arn", "aws_iam_role.ingest"),
        "runtime": C("python3.12"),
        "source_code_hash": {},
        "tags": C({"Team": "platform"}),
        "timeout": C(30),
        "tracing_config": [{"mode": C("Active")}],
    }, 0, depends_on=["aws_iam_role_policy_attachment.ingest_basic"]),
    cfg_res("aws_s3_bucket", "trail", {
        "bucket": REF("var.account_id"),
        "tags": C({"Name": "platform-cloudtrail"}),
    }, 0),
    cfg_res("aws_security_group", "web", {
        "description": C("web tier - managed by terraform"),
        "egress": C([dict(cfg_ingress(EGRESS_ALL), description=None)]),
        "ingress": C([cfg_ingress(R443), cfg_ingress(R80)]),
        "name": C("web-prod"),
        "tags": C({"Name": "web-prod", "Tier": "web"}),
        "vpc_id": REF("var.vpc_id"),
    }, 1),
]

MODULE_RESOURCES = [
    cfg_res("aws_db_instance", "main", {
        "allocated_storage": C(100),
        "backup_retention_period": REF("local.backup_days"),
        "backup_window": C("02:00-02:30"),
        "copy_tags_to_snapshot": C(True),
        "db_name": C("app"),
        "db_subnet_group_name": REF("var.db_subnet_group_name"),
        "deletion_protection": C(True),
        "enabled_cloudwatch_logs_exports": C(["postgresql", "upgrade"]),
        "engine": C("postgres"),
        "engine_version": C("16.4"),
        "final_snapshot_identifier": REF("var.name"),
        "identifier": REF("var.name"),
        "instance_class": REF("var.db_instance_class"),
        "kms_key_id": REF("var.kms_key_arn"),
        "maintenance_window": C("sun:03:00-sun:04:00"),
        "max_allocated_storage": C(500),
        "monitoring_interval": C(60),
        "monitoring_role_arn": REF("var.monitoring_role_arn"),
        "multi_az": C(True),
        "password": REF("var.db_password"),
        "performance_insights_enabled": C(True),
        "performance_insights_kms_key_id": REF("var.kms_key_arn"),
        "storage_encrypted": C(True),
        "storage_type": C("gp3"),
        "tags": REF("local.tags", "var.name"),
        "username": C("app_admin"),
        "vpc_security_group_ids": REF("var.db_security_group_ids"),
    }, 2, count=REF("var.create_db")),
    cfg_res("aws_s3_bucket", "data", {
        "bucket": REF("local.bucket_name"),
        "tags": REF("local.tags"),
    }, 0),
    cfg_res("aws_s3_bucket_public_access_block", "data", {
        "block_public_acls": C(True),
        "block_public_policy": C(True),
        "bucket": REF("aws_s3_bucket.data.id", "aws_s3_bucket.data"),
        "ignore_public_acls": C(True),
        "restrict_public_buckets": C(True),
    }, 0),
    cfg_res("aws_s3_bucket_server_side_encryption_configuration", "data", {
        "bucket": REF("aws_s3_bucket.data.id", "aws_s3_bucket.data"),
        "rule": [{
            "apply_server_side_encryption_by_default": [{
                "kms_master_key_id": REF("var.kms_key_arn"),
                "sse_algorithm": C("aws:kms")}],
            "bucket_key_enabled": C(True)}],
    }, 0),
]

APPS = {
    "analytics": {"create_db": False, "db_instance_class": "db.t4g.medium"},
    "eu": {"create_db": True, "db_instance_class": "db.r6g.large"},
}

ROOT_VARIABLES_CFG = {
    "account_id": {"default": ACCOUNT, "description": "AWS account the platform stack lives in"},
    "apps": {"description": "one module.app instance per key"},
    "db_password": {"description": "master password of the app databases (from TF_VAR_db_password in CI)",
                    "sensitive": True},
    "db_security_group_ids": {"description": "security groups of the app databases (owned by the network stack)"},
    "deploy_role_name": {"default": "platform-deploy",
                         "description": "role the deploy pipeline assumes; created by iam-bootstrap"},
    "ingest_api_token": {"description": "partner feed token (from TF_VAR_ingest_api_token). TODO(PLAT-311): mark sensitive"},
    "private_subnet_ids": {"description": "private subnets, one per web instance"},
    "region": {"default": REGION, "description": "home region"},
    "trail_cw_role_arn": {"description": "role CloudTrail uses to write to CloudWatch Logs"},
    "vpc_id": {"description": "VPC of the platform (owned by the network stack)"},
    "web_ami": {"description": "AMI of the web tier"},
    "web_instance_count": {"default": 2, "description": "number of web instances"},
    "web_instance_type": {"default": "t3.small", "description": "instance type of the web tier"},
}

ROOT_VARIABLE_VALUES = {
    "account_id": ACCOUNT,
    "apps": APPS,
    "db_password": DB_PASS_OLD,
    "db_security_group_ids": [SG_DB],
    "deploy_role_name": "platform-deploy",
    "ingest_api_token": TOKEN_OLD,
    "private_subnet_ids": SUBNETS,
    "region": REGION,
    "trail_cw_role_arn": TRAIL_CW_ROLE,
    "vpc_id": VPC,
    "web_ami": AMI,
    "web_instance_count": 2,
    "web_instance_type": "t3.medium",    # set in terraform.tfvars; default is t3.small
}

MODULE_VARIABLES_CFG = {
    "account_id": {"description": "account id, used in bucket names"},
    "create_db": {"default": False, "description": "create the app database"},
    "db_instance_class": {"default": "db.t4g.medium", "description": "instance class of the app database"},
    "db_password": {"description": "master password", "sensitive": True},
    "db_security_group_ids": {"default": [], "description": "security groups of the database"},
    "db_subnet_group_name": {"description": "subnet group of the database"},
    "kms_key_arn": {"description": "KMS key for the bucket and the database"},
    "monitoring_role_arn": {"default": None, "description": "enhanced monitoring role"},
    "name": {"description": "app key (module.app for_each key)"},
}


def configuration():
    return {
        "provider_config": {"aws": {
            "name": "aws",
            "full_name": PROVIDER,
            "version_constraint": "~> 5.70",
            "expressions": {
                "default_tags": [{"tags": C(DEFAULT_TAGS)}],
                "region": REF("var.region"),
            },
        }},
        "root_module": {
            "outputs": {
                "data_buckets": {"expression": REF("module.app")},
                "web_security_group_id": {"expression": REF("aws_security_group.web.id",
                                                            "aws_security_group.web")},
            },
            "resources": ROOT_RESOURCES,
            "module_calls": {"app": {
                "source": "./modules/app",
                "expressions": {
                    "account_id": REF("var.account_id"),
                    "create_db": REF("each.value.create_db", "each.value"),
                    "db_instance_class": REF("each.value.db_instance_class", "each.value"),
                    "db_password": REF("var.db_password"),
                    "db_security_group_ids": REF("var.db_security_group_ids"),
                    "db_subnet_group_name": C("platform-db"),
                    "kms_key_arn": REF("aws_kms_key.data.arn", "aws_kms_key.data"),
                    "monitoring_role_arn": C(MONITORING_ROLE),
                    "name": REF("each.key"),
                },
                "for_each_expression": REF("var.apps"),
                "module": {
                    "outputs": {
                        "bucket_name": {"expression": REF("aws_s3_bucket.data.id", "aws_s3_bucket.data")},
                        "db_endpoint": {"expression": REF("aws_db_instance.main")},
                    },
                    "resources": MODULE_RESOURCES,
                    "variables": MODULE_VARIABLES_CFG,
                },
            }},
            "variables": ROOT_VARIABLES_CFG,
        },
    }


def is_drifted(r):
    return r["live"] is None or r["prev"] != r["live"]


def plan():
    rows = sorted(INSTANCES_TABLE, key=address)
    drift, changes, planned, prior = [], [], [], []
    for r in rows:
        sens = r["sensitive"]
        if is_drifted(r):
            actions = ["delete"] if r["live"] is None else ["update"]
            d = head(r)
            d["change"] = change(actions, r["prev"], r["live"], sens, sens)
            drift.append(d)
        if r["live"] is None:
            actions = ["create"]
        elif r["live"] == r["desired"]:
            actions = ["no-op"]
        else:
            actions = ["update"]
        c = head(r)
        c["change"] = change(actions, r["live"], r["desired"], sens, sens,
                             r["unknown"] if actions != ["no-op"] else ())
        changes.append(c)
        planned.append((state_resource(r, r["desired"], r["unknown"] if actions != ["no-op"] else ()), r))
        if r["live"] is not None:
            pr = state_resource(r, r["live"])
            if r["depends_on"]:
                pr["depends_on"] = r["depends_on"]
            prior.append((pr, r))

    outputs_value = {
        "data_buckets": {k: app_bucket_name(k) for k in sorted(APPS)},
        "web_security_group_id": SG_WEB,
    }
    obj_type = ["object", {k: "string" for k in sorted(APPS)}]
    # same content, different key order in the two places (as Terraform writes them)
    planned_outputs = {
        "data_buckets": {"sensitive": False, "type": obj_type, "value": outputs_value["data_buckets"]},
        "web_security_group_id": {"sensitive": False, "type": "string", "value": SG_WEB},
    }
    outputs = {
        "data_buckets": {"sensitive": False, "value": outputs_value["data_buckets"], "type": obj_type},
        "web_security_group_id": {"sensitive": False, "value": SG_WEB, "type": "string"},
    }
    return {
        "format_version": "1.2",
        "terraform_version": TF_VERSION,
        "variables": {k: {"value": v} for k, v in sorted(ROOT_VARIABLE_VALUES.items())},
        "planned_values": {"outputs": planned_outputs, "root_module": module_tree(planned)},
        "resource_drift": drift,
        "resource_changes": changes,
        "output_changes": {
            k: {"actions": ["no-op"], "before": v, "after": v, "after_unknown": False,
                "before_sensitive": False, "after_sensitive": False}
            for k, v in sorted(outputs_value.items())},
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": TF_VERSION,
            "values": {"outputs": outputs, "root_module": module_tree(prior)},
        },
        "configuration": configuration(),
        "relevant_attributes": [{"resource": a, "attribute": p} for a, p in RELEVANT],
        "timestamp": PLAN_TIME,
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def go_json(doc):
    """encoding/json style: compact, HTML-escaped."""
    s = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --------------------------------------------------------------------------
# driftctl (network state)
# --------------------------------------------------------------------------

NET_STATE = "tfstate+s3://corp-tfstate/network/terraform.tfstate"
SG_BASTION = "sg-05e6f7a8b9c0d1e2f"
ZONE = "Z0123456789ABCDEFGHIJ"
LB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/edge-public/6d0ecf831eec9f09"
LISTENER_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/edge-public/6d0ecf831eec9f09/a7c3f4e1b2d5c6e8"
FLOWLOGS_BUCKET = f"corp-network-flowlogs-{ACCOUNT}"


def sgrule_id(sg, port, proto, kind, cidr):
    """driftctl's CreateSecurityGroupRuleIdHash (crc32 of the rule fields)."""
    import zlib
    return "sgrule-%d" % zlib.crc32(f"{sg}-{port}-{port}-{proto}-{kind}-{cidr}-".encode())


def src(ns, name):
    return {"source": NET_STATE, "namespace": ns, "internal_name": name}


def driftctl():
    managed = [
        {"id": "igw-0e1f2a3b4c5d6e7f8", "type": "aws_internet_gateway", "source": src("", "main")},
        {"id": LISTENER_ARN, "type": "aws_lb_listener", "source": src("", "https")},
        {"id": LB_ARN, "type": "aws_lb", "source": src("", "edge")},
        {"id": ZONE, "type": "aws_route53_zone", "source": src("module.edge", "corp")},
        {"id": f"{ZONE}_status.corp.example_A", "type": "aws_route53_record",
         "source": src("module.edge", "status")},
        {"id": f"{ZONE}_api.corp.example_A", "type": "aws_route53_record",
         "source": src("module.edge", "api")},
        {"id": "rtb-0c2d3e4f5a6b7c8d9", "type": "aws_route_table", "source": src("", "private")},
        {"id": FLOWLOGS_BUCKET, "type": "aws_s3_bucket", "source": src("", "flowlogs")},
        {"id": SG_BASTION, "type": "aws_security_group", "source": src("", "bastion")},
        {"id": SG_DB, "type": "aws_security_group", "source": src("", "db")},
        {"id": sgrule_id(SG_BASTION, 22, "tcp", "ingress", "10.99.0.0/16"),
         "type": "aws_security_group_rule",
         "human_readable_attributes": {"Ports": "22", "Protocol": "tcp", "SecurityGroup": SG_BASTION,
                                       "Source": "10.99.0.0/16", "Type": "ingress"},
         "source": src("", "bastion_ssh_from_vpn")},
        {"id": SUBNETS[0], "type": "aws_subnet", "source": src("", "private")},
        {"id": SUBNETS[1], "type": "aws_subnet", "source": src("", "private")},
        {"id": VPC, "type": "aws_vpc", "source": src("", "main")},
    ]
    unmanaged = [
        {"id": "AKIARZ3Q4EXMPLBDADM7", "type": "aws_iam_access_key",
         "human_readable_attributes": {"User": "backdoor-admin"}},
        {"id": "backdoor-admin", "type": "aws_iam_user"},
        {"id": "backdoor-admin-arn:aws:iam::aws:policy/AdministratorAccess",
         "type": "aws_iam_user_policy_attachment"},
        {"id": sgrule_id(SG_BASTION, 3389, "tcp", "ingress", "0.0.0.0/0"),
         "type": "aws_security_group_rule",
         "human_readable_attributes": {"Ports": "3389", "Protocol": "tcp", "SecurityGroup": SG_BASTION,
                                       "Source": "0.0.0.0/0", "Type": "ingress"}},
    ]
    missing = [
        {"id": FLOWLOGS_BUCKET, "type": "aws_s3_bucket_policy", "source": src("", "flowlogs")},
    ]
    differences = [
        {"res": {"id": LISTENER_ARN, "type": "aws_lb_listener", "source": src("", "https")},
         "changelog": [
             {"type": "update", "path": ["ssl_policy"],
              "from": "ELBSecurityPolicy-TLS13-1-2-2021-06",
              "to": "ELBSecurityPolicy-TLS-1-0-2015-04", "computed": False}]},
        {"res": {"id": f"{ZONE}_status.corp.example_A", "type": "aws_route53_record",
                 "source": src("module.edge", "status")},
         "changelog": [
             {"type": "update", "path": ["records", "0"], "from": "203.0.113.10",
              "to": "198.51.100.77", "computed": False},
             {"type": "update", "path": ["ttl"], "from": 300, "to": 60, "computed": False}]},
    ]
    total = len(managed) + len(unmanaged) + len(missing)
    return {
        "options": {"deep": True, "only_managed": False, "only_unmanaged": False},
        "summary": {
            "total_resources": total,
            "total_changed": len(differences),
            "total_unmanaged": len(unmanaged),
            "total_missing": len(missing),
            "total_managed": len(managed),
            "total_iac_source_count": 1,
        },
        "managed": managed,
        "unmanaged": unmanaged,
        "missing": missing,
        "differences": differences,
        "coverage": int(len(managed) / total * 100),
        "alerts": None,
        "provider_name": "aws",
        "provider_version": "5.70.0",
        "scan_duration": 41,
        "date": "2026-11-22T07:46:03.118742901Z",
    }


# --------------------------------------------------------------------------
# CloudFormation (stack payments-prod)
# --------------------------------------------------------------------------

STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/payments-prod/4f1c2a60-a7b3-11ef-9c3e-0a5f1b2c3d4e"
SG_PAY_DB = "sg-0c9d8e7f6a5b4c3d2"
PAY_KEY_ID = "7c2d9e41-5a3b-4f60-8e17-b9a0c4d3e2f1"
PAY_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{PAY_KEY_ID}"
RECEIPTS = f"payments-prod-receipts-{ACCOUNT}"


def cj(doc):
    return json.dumps(doc, separators=(",", ":"))


def cfn():
    ts = lambda ms: f"2026-11-22T07:51:{ms}+00:00"  # noqa: E731
    ingress_app = {"CidrIp": "10.40.0.0/16", "Description": "app subnets", "FromPort": 5432,
                   "IpProtocol": "tcp", "ToPort": 5432}
    ingress_bad = {"CidrIp": "0.0.0.0/0", "Description": "vendor migration INC-4821",
                   "FromPort": 5432, "IpProtocol": "tcp", "ToPort": 5432}
    sg_expected = {"GroupDescription": "payments-prod database access",
                   "SecurityGroupIngress": [ingress_app], "VpcId": VPC}
    sg_actual = copy.deepcopy(sg_expected)
    sg_actual["SecurityGroupIngress"].append(ingress_bad)

    enc = {"ServerSideEncryptionConfiguration": [{
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": PAY_KEY_ARN, "SSEAlgorithm": "aws:kms"}}]}
    pab_cfg = {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
               "RestrictPublicBuckets": True}
    bucket_expected = {"BucketEncryption": enc, "BucketName": RECEIPTS,
                       "PublicAccessBlockConfiguration": pab_cfg,
                       "VersioningConfiguration": {"Status": "Enabled"}}
    bucket_actual = {k: v for k, v in bucket_expected.items() if k != "BucketEncryption"}

    q_tags = [{"Key": "team", "Value": "payments"}, {"Key": "env", "Value": "prod"}]
    q_expected = {"QueueName": "payments-prod-settlement",
                  "RedrivePolicy": {"deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:payments-prod-settlement-dlq",
                                    "maxReceiveCount": 5},
                  "Tags": q_tags, "VisibilityTimeout": 120}
    q_actual = copy.deepcopy(q_expected)
    q_actual["Tags"] = q_tags + [{"Key": "owner", "Value": "jane.doe"},
                                 {"Key": "ticket", "Value": "INC-4821"}]

    dlq = {"MessageRetentionPeriod": 1209600, "QueueName": "payments-prod-settlement-dlq"}
    role = {"AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}],
                                         "Version": "2012-10-17"},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
            "RoleName": "payments-prod-api-role"}
    key = {"Description": "payments-prod data key", "EnableKeyRotation": True,
           "KeyPolicy": {"Statement": [{"Action": "kms:*", "Effect": "Allow",
                                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                        "Resource": "*", "Sid": "Enable IAM User Permissions"}],
                         "Version": "2012-10-17"}}

    def sg_diffs():
        out = []
        for field in ("CidrIp", "Description", "FromPort", "IpProtocol", "ToPort"):
            out.append({"PropertyPath": f"/SecurityGroupIngress/1/{field}",
                        "ExpectedValue": "null", "ActualValue": str(ingress_bad[field]),
                        "DifferenceType": "ADD"})
        return out

    drifts = [
        {"StackId": STACK_ID, "LogicalResourceId": "AuditLogGroup",
         "PhysicalResourceId": "/aws/payments-prod/audit", "ResourceType": "AWS::Logs::LogGroup",
         "PropertyDifferences": [], "StackResourceDriftStatus": "DELETED", "Timestamp": ts("12.470000")},
        {"StackId": STACK_ID, "LogicalResourceId": "PaymentsApiRole",
         "PhysicalResourceId": "payments-prod-api-role", "ResourceType": "AWS::IAM::Role",
         "ExpectedProperties": cj(role), "ActualProperties": cj(role), "PropertyDifferences": [],
         "StackResourceDriftStatus": "IN_SYNC", "Timestamp": ts("12.488000")},
        {"StackId": STACK_ID, "LogicalResourceId": "PaymentsDbSecurityGroup",
         "PhysicalResourceId": SG_PAY_DB, "ResourceType": "AWS::EC2::SecurityGroup",
         "ExpectedProperties": cj(sg_expected), "ActualProperties": cj(sg_actual),
         "PropertyDifferences": sg_diffs(),
         "StackResourceDriftStatus": "MODIFIED", "Timestamp": ts("12.503000")},
        {"StackId": STACK_ID, "LogicalResourceId": "PaymentsKey",
         "PhysicalResourceId": PAY_KEY_ID, "ResourceType": "AWS::KMS::Key",
         "ExpectedProperties": cj(key), "ActualProperties": cj(key), "PropertyDifferences": [],
         "StackResourceDriftStatus": "IN_SYNC", "Timestamp": ts("12.517000")},
        {"StackId": STACK_ID, "LogicalResourceId": "ReceiptsBucket",
         "PhysicalResourceId": RECEIPTS, "ResourceType": "AWS::S3::Bucket",
         "ExpectedProperties": cj(bucket_expected), "ActualProperties": cj(bucket_actual),
         "PropertyDifferences": [{"PropertyPath": "/BucketEncryption", "ExpectedValue": cj(enc),
                                  "ActualValue": "null", "DifferenceType": "REMOVE"}],
         "StackResourceDriftStatus": "MODIFIED", "Timestamp": ts("12.529000")},
        {"StackId": STACK_ID, "LogicalResourceId": "SettlementDLQ",
         "PhysicalResourceId": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/payments-prod-settlement-dlq",
         "ResourceType": "AWS::SQS::Queue",
         "ExpectedProperties": cj(dlq), "ActualProperties": cj(dlq), "PropertyDifferences": [],
         "StackResourceDriftStatus": "IN_SYNC", "Timestamp": ts("12.544000")},
        {"StackId": STACK_ID, "LogicalResourceId": "SettlementQueue",
         "PhysicalResourceId": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/payments-prod-settlement",
         "ResourceType": "AWS::SQS::Queue",
         "ExpectedProperties": cj(q_expected), "ActualProperties": cj(q_actual),
         "PropertyDifferences": [
             {"PropertyPath": "/Tags/2", "ExpectedValue": "null",
              "ActualValue": cj({"Key": "owner", "Value": "jane.doe"}), "DifferenceType": "ADD"},
             {"PropertyPath": "/Tags/3", "ExpectedValue": "null",
              "ActualValue": cj({"Key": "ticket", "Value": "INC-4821"}), "DifferenceType": "ADD"}],
         "StackResourceDriftStatus": "MODIFIED", "Timestamp": ts("12.561000")},
        {"StackId": STACK_ID, "LogicalResourceId": "WebhookFunction",
         "PhysicalResourceId": "payments-prod-webhook", "ResourceType": "AWS::Lambda::Function",
         "PropertyDifferences": [], "StackResourceDriftStatus": "UNKNOWN",
         "Timestamp": ts("12.573000"),
         "DriftStatusReason": "Drift detection failed: access denied for lambda:GetFunction on "
                              f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments-prod-webhook "
                              "(role cfn-drift-detector)."},
        {"StackId": STACK_ID, "LogicalResourceId": "WebhookInvokePermission",
         "PhysicalResourceId": "payments-prod-WebhookInvokePermission-1QW2E3R4T5Y6U",
         "ResourceType": "AWS::Lambda::Permission",
         "StackResourceDriftStatus": "NOT_CHECKED", "Timestamp": ts("12.580000")},
    ]
    return {"StackResourceDrifts": drifts}


def main():
    os.makedirs(OUT, exist_ok=True)
    p = plan()
    with open(os.path.join(OUT, "terraform-plan.json"), "w", encoding="utf-8") as f:
        f.write(go_json(p) + "\n")
    with open(os.path.join(OUT, "driftctl-scan.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(driftctl(), indent="\t") + "\n")
    with open(os.path.join(OUT, "cloudformation-drift.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(cfn(), indent=4) + "\n")
    for d in p["resource_drift"]:
        print("drift", d["change"]["actions"][0], d["address"])
    for c in p["resource_changes"]:
        print("change", ",".join(c["change"]["actions"]), c["address"])


if __name__ == "__main__":
    main()
