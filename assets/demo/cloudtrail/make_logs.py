#!/usr/bin/env python3
"""Regenerate the exported CloudTrail archive of the demo incident.

    python3 assets/demo/cloudtrail/make_logs.py

Writes AWSLogs/111122223333/CloudTrail/<region>/YYYY/MM/DD/<file> next to this
script, exactly as an S3 trail bucket lays them out (see REFERENCE §8):

    <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz

Each file holds {"Records":[...]} (gzip with mtime 0, so the bytes are
stable).  One file is left as plain .json, the way people hand over an
unpacked export.  The file-name time is the delivery time, which is later
than the events inside it.

Deterministic: no clock, no unseeded randomness; every eventID is written out
below and STORY.md's table refers to them.  The logs come from the security
team's own trail (not the `platform-audit` trail that the attacker stopped),
so events after StopLogging are present too.
"""

import gzip
import io
import json
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "111122223333"
ROOT = os.path.join(HERE, "AWSLogs")

EU = "eu-west-1"
US = "us-east-1"

KMS_ID = "0f6e1d2c-3b4a-4958-8776-a5b4c3d2e1f0"
KMS_ARN = f"arn:aws:kms:{EU}:{ACCOUNT}:key/{KMS_ID}"
SG_WEB = "sg-0a1b2c3d4e5f60718"
SG_BASTION = "sg-05e6f7a8b9c0d1e2f"
SG_PAY_DB = "sg-0c9d8e7f6a5b4c3d2"
WEB = ["i-0d3adbeef10a2b3c4", "i-07f4c2a9be51d6e80"]
DATA_BUCKET = f"corp-app-eu-data-{ACCOUNT}"
FLOWLOGS_BUCKET = f"corp-network-flowlogs-{ACCOUNT}"
RECEIPTS_BUCKET = f"payments-prod-receipts-{ACCOUNT}"
ZONE = "Z0123456789ABCDEFGHIJ"
LISTENER_ARN = (f"arn:aws:elasticloadbalancing:{EU}:{ACCOUNT}:listener/app/edge-public/"
                "6d0ecf831eec9f09/a7c3f4e1b2d5c6e8")

# ---------------------------------------------------------------------------
# Actors (userIdentity blocks)
# ---------------------------------------------------------------------------

SSO_ROLE = "AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b"


def assumed(role, role_id, session, key, created, mfa, role_path="/", source_identity=None,
            web_id=None):
    ident = {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{ACCOUNT}:role{role_path}{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": created, "mfaAuthenticated": mfa},
        },
    }
    if web_id:
        ident["sessionContext"]["webIdFederationData"] = web_id
    if source_identity:
        ident["sessionContext"]["sourceIdentity"] = source_identity
    return ident


def iam_user(name, uid, key):
    return {"type": "IAMUser", "principalId": uid, "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "accountId": ACCOUNT, "accessKeyId": key, "userName": name}


GITHUB_OIDC = {"federatedProvider": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
               "attributes": {}}

JANE = assumed(SSO_ROLE, "AROARZ3Q4EXMPLSSOADM1", "jane.doe@corp.example", "ASIARZ3Q4EXMPLJANE01",
               "2026-11-20T22:31:05Z", "true",
               role_path="/aws-reserved/sso.amazonaws.com/eu-west-1/")
JANE_SAT = assumed(SSO_ROLE, "AROARZ3Q4EXMPLSSOADM1", "jane.doe@corp.example", "ASIARZ3Q4EXMPLJANE02",
                   "2026-11-21T10:52:40Z", "true",
                   role_path="/aws-reserved/sso.amazonaws.com/eu-west-1/")
BOB = iam_user("bob", "AIDARZ3Q4EXMPLBOB0042", "AKIARZ3Q4EXMPLBOB042")
ONCALL = assumed("incident-responder", "AROARZ3Q4EXMPLINCRSP1", "oncall-sre", "ASIARZ3Q4EXMPLONCAL7",
                 "2026-11-20T21:55:02Z", "false", source_identity="sam.okafor@corp.example")
ONCALL_SAT = assumed("incident-responder", "AROARZ3Q4EXMPLINCRSP1", "oncall-sre", "ASIARZ3Q4EXMPLONCAL8",
                     "2026-11-21T09:35:44Z", "false", source_identity="sam.okafor@corp.example")
ROOT_USER = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
             "accountId": ACCOUNT, "accessKeyId": "ASIARZ3Q4EXMPLR00T99", "userName": "corp-prod",
             "sessionContext": {"attributes": {"creationDate": "2026-11-21T02:51:09Z",
                                               "mfaAuthenticated": "false"}}}
ROOT_SIGNIN = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
               "accountId": ACCOUNT, "accessKeyId": ""}
BACKDOOR = iam_user("backdoor-admin", "AIDARZ3Q4EXMPLBDADMN1", "AKIARZ3Q4EXMPLBDADM7")
TF_APPLY = assumed("terraform-ci", "AROARZ3Q4EXMPLTFCI001", "gha-platform-apply-8812345",
                   "ASIARZ3Q4EXMPLTFCI42", "2026-11-19T09:11:58Z", "false", web_id=GITHUB_OIDC)
TF_FINOPS = assumed("terraform-ci", "AROARZ3Q4EXMPLTFCI001", "gha-finops-tagging-4471",
                    "ASIARZ3Q4EXMPLTFFN17", "2026-11-19T16:20:31Z", "false", web_id=GITHUB_OIDC)
TF_PLAN = assumed("terraform-ci", "AROARZ3Q4EXMPLTFCI001", "gha-platform-plan-8830112",
                  "ASIARZ3Q4EXMPLTFPL03", "2026-11-22T07:57:41Z", "false", web_id=GITHUB_OIDC)
SCANNER = assumed("drift-scanner", "AROARZ3Q4EXMPLDRFTSC1", "driftctl-20261122", "ASIARZ3Q4EXMPLDRFT11",
                  "2026-11-22T07:45:02Z", "false")
INGEST_FN = assumed("platform-ingest", "AROARZ3Q4EXMPLINGST01", "platform-ingest", "ASIARZ3Q4EXMPLINGST9",
                    "2026-11-20T23:02:11Z", "false")
INGEST_FN = dict(INGEST_FN, invokedBy="s3.amazonaws.com")

# ---------------------------------------------------------------------------
# User agents and source addresses
# ---------------------------------------------------------------------------

UA_CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                 "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
UA_EDGE_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0")
UA_S3_CONSOLE = ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 "
                 "Linux/5.10.226-192.879.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 "
                 "java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]")


def ua_bob(cmd):
    return ("aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-49-generic md/arch#x86_64 "
            "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
            f"md/distrib#ubuntu.24 md/prompt#off md/command#{cmd}")


def ua_oncall_cli(cmd):
    return ("aws-cli/2.21.3 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 "
            f"md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#{cmd}")


UA_ONCALL_BOTO3 = ("Boto3/1.35.64 md/Botocore#1.35.64 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 "
                   "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy "
                   "Botocore/1.35.64 runbook/incident-tools-0.9")


def ua_backdoor(cmd):
    # old CLI spelling: command/svc.op
    return f"aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off command/{cmd}"


def ua_terraform(api):
    return ("APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
            "terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
            f"aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 {api} m/C,E")


UA_DRIFTCTL = "aws-sdk-go/1.44.201 (go1.20.4; linux; amd64)"

IP_JANE = "203.0.113.45"
IP_BOB = "198.51.100.23"
IP_ONCALL = "198.51.100.61"
IP_ATTACKER = "192.0.2.77"
IP_GHA = "198.51.100.200"
IP_SCANNER = "10.40.3.14"


def tls(host, version="TLSv1.3", suite="TLS_AES_128_GCM_SHA256"):
    return {"tlsVersion": version, "cipherSuite": suite, "clientProvidedHostHeader": host}


# ---------------------------------------------------------------------------
# Record builder
# ---------------------------------------------------------------------------

_rng = random.Random(20261122)


def request_id():
    return "%08x-%04x-%04x-%04x-%012x" % (_rng.getrandbits(32), _rng.getrandbits(16),
                                          _rng.getrandbits(16), _rng.getrandbits(16),
                                          _rng.getrandbits(48))


def s3_request_id():
    return "".join(_rng.choice("0123456789ABCDEF") for _ in range(16))


def rec(event_id, time, ident, source, name, region, ip, ua, params, response=None, *,
        version="1.09", read_only=False, resources=None, event_type="AwsApiCall",
        error=None, console=False, host=None, extra=None, req_id=None):
    r = {"eventVersion": version, "userIdentity": ident, "eventTime": time,
         "eventSource": source, "eventName": name, "awsRegion": region,
         "sourceIPAddress": ip, "userAgent": ua}
    if error:
        r["errorCode"], r["errorMessage"] = error
    r["requestParameters"] = params
    r["responseElements"] = response
    for k, v in (extra or {}).items():
        if k in ("additionalEventData",):
            r[k] = v
    r["requestID"] = req_id or request_id()
    r["eventID"] = event_id
    r["readOnly"] = read_only
    if resources is not None:
        r["resources"] = resources
    r["eventType"] = event_type
    r["managementEvent"] = True
    r["recipientAccountId"] = ACCOUNT
    for k, v in (extra or {}).items():
        if k not in ("additionalEventData",):
            r[k] = v
    r["eventCategory"] = "Management"
    if host:
        r["tlsDetails"] = tls(host)
    if console:
        r["sessionCredentialFromConsole"] = "true"
    return r


def res(rtype, arn):
    return [{"accountId": ACCOUNT, "type": rtype, "ARN": arn}]


def ec2_ok(rid):
    return {"requestId": rid, "_return": True}


def ip_perm(port, cidr, desc):
    return {"items": [{"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
                       "ipRanges": {"items": [{"cidrIp": cidr, "description": desc}]},
                       "ipv6Ranges": {}, "prefixListIds": {}}]}


def sg_rule_set(group, rule_id, port, cidr, desc):
    return {"items": [{"groupOwnerId": ACCOUNT, "groupId": group, "securityGroupRuleId": rule_id,
                       "isEgress": False, "ipProtocol": "tcp", "fromPort": port, "toPort": port,
                       "cidrIpv4": cidr, "description": desc}]}


def s3_extra(bytes_in=0, bytes_out=0):
    return {"additionalEventData": {
        "SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": bytes_in, "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": "".join(_rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
                              for _ in range(76)),
        "bytesTransferredOut": bytes_out}}


def s3_host(bucket):
    return f"{bucket}.s3.{EU}.amazonaws.com"


# ---------------------------------------------------------------------------
# Policy documents as the callers sent them
# ---------------------------------------------------------------------------

DEPLOY_STATEMENTS = [
    {"Sid": "PushArtifacts", "Effect": "Allow",
     "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
     "Resource": [f"arn:aws:s3:::corp-artifacts-{ACCOUNT}", f"arn:aws:s3:::corp-artifacts-{ACCOUNT}/*"]},
    {"Sid": "UpdateIngest", "Effect": "Allow",
     "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
     "Resource": f"arn:aws:lambda:{EU}:{ACCOUNT}:function:platform-ingest"},
]
# what the terraform-ci apply sent (the provider's normalised jsonencode form)
DEPLOY_POLICY_TF = ('{"Version":"2012-10-17","Statement":'
                    + json.dumps(DEPLOY_STATEMENTS, sort_keys=True, separators=(",", ":")) + "}")
# identical to the live `policy` in reports/terraform-plan.json
DEPLOY_POLICY_BOB = """{
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


def lambda_config(memory, modified, revision, status):
    return {
        "functionName": "platform-ingest",
        "functionArn": f"arn:aws:lambda:{EU}:{ACCOUNT}:function:platform-ingest",
        "runtime": "python3.12",
        "role": f"arn:aws:iam::{ACCOUNT}:role/platform-ingest",
        "handler": "app.handler",
        "codeSize": 4821733,
        "description": "pulls the partner feed into the data bucket",
        "timeout": 30,
        "memorySize": memory,
        "lastModified": modified,
        "codeSha256": "q3bW1c0m7yJm0Jr4cV9o1HqzL5wq6m3c2n8pK1sT0aE=",
        "version": "$LATEST",
        "environment": {},
        "tracingConfig": {"mode": "Active"},
        "revisionId": revision,
        "state": "Active",
        "lastUpdateStatus": status,
        "packageType": "Zip",
        "architectures": ["arm64"],
        "ephemeralStorage": {"size": 512},
        "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
        "runtimeVersionConfig": {"runtimeVersionArn": "arn:aws:lambda:eu-west-1::runtime:"
                                                      "8a3e2f1b0c9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"},
        "loggingConfig": {"logFormat": "Text", "logGroup": "/aws/lambda/platform-ingest"},
    }


def db_response(retention, pending):
    return {
        "dBInstanceIdentifier": "app-eu-main",
        "dBInstanceClass": "db.r6g.large",
        "engine": "postgres",
        "dBInstanceStatus": "available",
        "masterUsername": "app_admin",
        "dBName": "app",
        "endpoint": {"address": "app-eu-main.c9akciq32jxz.eu-west-1.rds.amazonaws.com",
                     "port": 5432, "hostedZoneId": "Z29XKXDKYMONMX"},
        "allocatedStorage": 100,
        "instanceCreateTime": "Mar 4, 2025, 10:34:12 AM",
        "preferredBackupWindow": "02:00-02:30",
        "backupRetentionPeriod": retention,
        "multiAZ": True,
        "engineVersion": "16.4",
        "pendingModifiedValues": pending,
        "storageEncrypted": True,
        "kmsKeyId": KMS_ARN,
        "dbiResourceId": "db-7XKQ2M5VZJ4TNHPL3R6YWB2CGE",
        "dBInstanceArn": f"arn:aws:rds:{EU}:{ACCOUNT}:db:app-eu-main",
        "deletionProtection": True,
    }


# ---------------------------------------------------------------------------
# The events.  Keys (E..., C..., D..., N..., S...) match STORY.md:
#   E = caused a drift item, C = in-band or context change, D = denied call,
#   N = read-only / service noise, S = sign-in.
# ---------------------------------------------------------------------------

EV = {}


def ev(key, record):
    assert key not in EV
    EV[key] = record


# --- Thursday 2026-11-19: last good apply of the platform workspace --------

ev("N01", rec("3ceaaf30-8142-48ea-91d9-3080f9b439fc", "2026-11-19T09:12:44Z", TF_APPLY,
              "ec2.amazonaws.com", "DescribeSecurityGroups", EU, IP_GHA, ua_terraform("api/ec2#1.187.0"),
              {"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": SG_WEB}]},
               "filterSet": {}},
              None, version="1.10", read_only=True, host="ec2.eu-west-1.amazonaws.com"))

ev("C01", rec("9dfb369b-ab13-4fae-a276-55daa05f1119", "2026-11-19T09:13:05Z", TF_APPLY,
              "iam.amazonaws.com", "PutRolePolicy", US, IP_GHA, ua_terraform("api/iam#1.37.2"),
              {"roleName": "platform-deploy", "policyName": "platform-deploy-inline",
               "policyDocument": DEPLOY_POLICY_TF},
              None, host="iam.amazonaws.com"))

ev("C02", rec("6301bbfc-a0c5-454e-8ff9-bb510944fe0c", "2026-11-19T09:13:31Z", TF_APPLY,
              "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", EU, IP_GHA,
              ua_terraform("api/lambda#1.64.0"),
              {"functionName": "platform-ingest", "memorySize": 512, "timeout": 30,
               "environment": {}, "tracingConfig": {"mode": "Active"}},
              lambda_config(512, "2026-11-19T09:13:31.000+0000", "5b0e7c1d-3f2a-4e6b-9c8d-1a2b3c4d5e6f",
                            "InProgress"),
              host="lambda.eu-west-1.amazonaws.com"))

ev("C03", rec("6fced11d-2bd8-41e6-847a-8387cdde8d51", "2026-11-19T09:14:02Z", TF_APPLY,
              "s3.amazonaws.com", "PutBucketEncryption", EU, IP_GHA, "[" + ua_terraform("api/s3#1.66.0") + "]",
              {"bucketName": DATA_BUCKET, "Host": s3_host(DATA_BUCKET), "encryption": "",
               "ServerSideEncryptionConfiguration": {
                   "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                   "Rule": {"ApplyServerSideEncryptionByDefault": {
                       "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_ARN}, "BucketKeyEnabled": True}}},
              None, version="1.10", resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{DATA_BUCKET}"),
              host=s3_host(DATA_BUCKET), extra=s3_extra(312), req_id=s3_request_id()))

ev("E05", rec("3a124c64-7e02-4f05-b7c1-dce27f7695f5", "2026-11-19T16:22:10Z", TF_FINOPS,
              "iam.amazonaws.com", "TagRole", US, IP_GHA, ua_terraform("api/iam#1.37.2"),
              {"roleName": "platform-ci", "tags": [{"key": "cost-center", "value": "CC-4410"}]},
              None, host="iam.amazonaws.com"))

# --- Friday 2026-11-20 ------------------------------------------------------

ev("N02", rec("66080f17-4c96-48e2-9cbd-0ba3a1a6bcde", "2026-11-20T04:00:00Z",
              {"accountId": ACCOUNT, "invokedBy": "kms.amazonaws.com"},
              "kms.amazonaws.com", "RotateKey", EU, "kms.amazonaws.com", "kms.amazonaws.com",
              None, None, version="1.10", resources=res("AWS::KMS::Key", KMS_ARN),
              event_type="AwsServiceEvent",
              extra={"additionalEventData": {"keyId": KMS_ARN},
                     "serviceEventDetails": {"keyId": KMS_ARN, "rotationType": "AUTOMATIC"}}))

# The ingest pipeline is falling over; the on-call SRE scales and rotates.
ev("C04", rec("b120a366-f0bb-49cf-82f2-dc05873f9bd0", "2026-11-20T21:58:37Z", ONCALL,
              "ec2.amazonaws.com", "StopInstances", EU, IP_ONCALL, ua_oncall_cli("ec2.stop-instances"),
              {"instancesSet": {"items": [{"instanceId": WEB[0]}]}, "force": False},
              {"requestId": "0c6d2a8e-7f19-4b3a-9e52-1d84c6f0a7b3", "instancesSet": {"items": [{
                  "instanceId": WEB[0], "currentState": {"code": 64, "name": "stopping"},
                  "previousState": {"code": 16, "name": "running"}}]}},
              version="1.10", host="ec2.eu-west-1.amazonaws.com"))

ev("E07", rec("78b7d0ac-8477-4ce0-8e4c-da11b43c589b", "2026-11-20T22:01:12Z", ONCALL,
              "ec2.amazonaws.com", "ModifyInstanceAttribute", EU, IP_ONCALL,
              ua_oncall_cli("ec2.modify-instance-attribute"),
              {"instanceId": WEB[0], "instanceType": {"value": "t3.xlarge"}},
              ec2_ok("5e2b9f41-83c7-4d06-a1e8-6b3f0c29d7a5"),
              version="1.10", host="ec2.eu-west-1.amazonaws.com"))

ev("C05", rec("2330fcf1-562a-44b8-8866-8d77e827062c", "2026-11-20T22:02:40Z", ONCALL,
              "ec2.amazonaws.com", "StartInstances", EU, IP_ONCALL, ua_oncall_cli("ec2.start-instances"),
              {"instancesSet": {"items": [{"instanceId": WEB[0]}]}},
              {"requestId": "a3f81c06-2d5e-47b9-8c14-e9b7062d5f38", "instancesSet": {"items": [{
                  "instanceId": WEB[0], "currentState": {"code": 0, "name": "pending"},
                  "previousState": {"code": 80, "name": "stopped"}}]}},
              version="1.10", host="ec2.eu-west-1.amazonaws.com"))

# Lambda: the variables never reach CloudTrail ("environment": {}).
ev("E09", rec("c1acc990-6424-450a-a36b-f9b3ddcb369d", "2026-11-20T22:09:55Z", ONCALL,
              "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", EU, IP_ONCALL,
              UA_ONCALL_BOTO3,
              {"functionName": "platform-ingest", "memorySize": 1024, "environment": {}},
              lambda_config(1024, "2026-11-20T22:09:55.381+0000", "e8d1f4a2-6b7c-4c3d-8e9f-0a1b2c3d4e5f",
                            "InProgress"),
              host="lambda.eu-west-1.amazonaws.com"))

ev("E10", rec("9ad9b9a2-5e78-454d-b065-a1c284cc4549", "2026-11-20T22:17:31Z", ONCALL,
              "rds.amazonaws.com", "ModifyDBInstance", EU, IP_ONCALL, UA_ONCALL_BOTO3,
              {"dBInstanceIdentifier": "app-eu-main", "backupRetentionPeriod": 1,
               "applyImmediately": True, "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS"},
              db_response(1, {"masterUserPassword": "****"}),
              host="rds.eu-west-1.amazonaws.com"))

# bob asks for SSH to debug; his own call is refused, jane opens it for him.
ev("D11", rec("99356597-6fba-4662-b6a7-30b7b12e9eed", "2026-11-20T22:37:02Z", BOB,
              "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", EU, IP_BOB,
              ua_bob("ec2.authorize-security-group-ingress"),
              {"groupId": SG_WEB, "ipPermissions": ip_perm(22, "0.0.0.0/0", "temp debug - bob INC-4817")},
              None, version="1.10", host="ec2.eu-west-1.amazonaws.com",
              error=("Client.UnauthorizedOperation",
                     "You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/bob "
                     "is not authorized to perform: ec2:AuthorizeSecurityGroupIngress on resource: "
                     "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60718 because no "
                     "identity-based policy allows the ec2:AuthorizeSecurityGroupIngress action. Encoded "
                     "authorization failure message: 9bXf3kQ2VwLm8RrT1pZs")))

ev("E12", rec("8df08078-a22e-4180-85c2-c2af3977a654", "2026-11-20T22:39:18Z", JANE,
              "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", EU, IP_JANE, UA_CHROME_MAC,
              {"groupId": SG_WEB, "ipPermissions": ip_perm(22, "0.0.0.0/0", "temp debug - bob INC-4817")},
              {"requestId": "7d3c9e21-4a8f-4b6d-b052-c8e1f7a93d46", "_return": True,
               "securityGroupRuleSet": sg_rule_set(SG_WEB, "sgr-0f1e2d3c4b5a69788", 22, "0.0.0.0/0",
                                                   "temp debug - bob INC-4817")},
              version="1.10", console=True, host="ec2.eu-west-1.amazonaws.com"))

ev("E13", rec("f3194a3b-381e-43e7-952c-466e473a1797", "2026-11-20T22:44:51Z", JANE,
              "ec2.amazonaws.com", "CreateTags", EU, IP_JANE, UA_CHROME_MAC,
              {"resourcesSet": {"items": [{"resourceId": WEB[1]}]},
               "tagSet": {"items": [{"key": "debug", "value": "true"}]}},
              ec2_ok("2b8e6f14-9c3d-4a75-8e0b-f41d7c2a96e3"),
              version="1.10", console=True, host="ec2.eu-west-1.amazonaws.com"))

ev("N03", rec("c498b6e7-3648-445e-9afa-3a387f006745", "2026-11-20T22:45:30Z", JANE,
              "ec2.amazonaws.com", "DescribeInstances", EU, IP_JANE, UA_CHROME_MAC,
              {"instancesSet": {"items": [{"instanceId": WEB[1]}]}, "filterSet": {}},
              None, version="1.10", read_only=True, console=True, host="ec2.eu-west-1.amazonaws.com"))

# The deploy pipeline cannot ship the hotfix; oncall is refused, bob widens it.
ev("D14", rec("ab57f985-4332-43da-a75a-2e199b58ba8d", "2026-11-20T23:02:26Z", ONCALL,
              "iam.amazonaws.com", "PutRolePolicy", US, IP_ONCALL, ua_oncall_cli("iam.put-role-policy"),
              {"roleName": "platform-deploy", "policyName": "platform-deploy-inline",
               "policyDocument": DEPLOY_POLICY_BOB},
              None, host="iam.amazonaws.com",
              error=("AccessDenied",
                     "User: arn:aws:sts::111122223333:assumed-role/incident-responder/oncall-sre is not "
                     "authorized to perform: iam:PutRolePolicy on resource: role platform-deploy because no "
                     "identity-based policy allows the iam:PutRolePolicy action")))

ev("E15", rec("c1b87f1a-7323-491b-99f9-cbef0f69a4d0", "2026-11-20T23:05:09Z", BOB,
              "iam.amazonaws.com", "PutRolePolicy", US, IP_BOB, ua_bob("iam.put-role-policy"),
              {"roleName": "platform-deploy", "policyName": "platform-deploy-inline",
               "policyDocument": DEPLOY_POLICY_BOB},
              None, host="iam.amazonaws.com"))

ev("N04", rec("2eb73728-2fea-475e-b536-5e1458294a90", "2026-11-20T23:31:47Z", JANE,
              "kms.amazonaws.com", "DescribeKey", EU, IP_JANE, UA_CHROME_MAC,
              {"keyId": KMS_ARN}, None, version="1.10", read_only=True,
              resources=res("AWS::KMS::Key", KMS_ARN), console=True, host="kms.eu-west-1.amazonaws.com"))

ev("N05", rec("ac3e0b5b-c291-4709-8c1e-26038dabf68e", "2026-11-20T23:33:10Z", INGEST_FN,
              "kms.amazonaws.com", "Decrypt", EU, "s3.amazonaws.com", "s3.amazonaws.com",
              {"encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{DATA_BUCKET}"},
               "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
              None, version="1.10", read_only=True, resources=res("AWS::KMS::Key", KMS_ARN)))

# KMS throttling theory: jane switches the data bucket to SSE-S3.
ev("E17", rec("2f314fdb-43c4-4bc7-a4cc-dcf9ea5ee53c", "2026-11-20T23:40:02Z", JANE,
              "s3.amazonaws.com", "PutBucketEncryption", EU, IP_JANE, UA_S3_CONSOLE,
              {"bucketName": DATA_BUCKET, "Host": s3_host(DATA_BUCKET), "encryption": "",
               "ServerSideEncryptionConfiguration": {
                   "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                   "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": False}}},
              None, version="1.10", resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{DATA_BUCKET}"),
              console=True, host=s3_host(DATA_BUCKET), extra=s3_extra(214), req_id=s3_request_id()))

ev("E18", rec("bafe9bd1-20c5-4152-9127-c47089bf36a2", "2026-11-20T23:51:13Z", BOB,
              "kms.amazonaws.com", "DisableKeyRotation", EU, IP_BOB, ua_bob("kms.disable-key-rotation"),
              {"keyId": KMS_ID}, None, version="1.10",
              resources=res("AWS::KMS::Key", KMS_ARN), host="kms.eu-west-1.amazonaws.com"))

# --- Saturday 2026-11-21, after midnight --------------------------------------

ev("E20", rec("fe014372-9313-4adf-bba3-fec76ca387b5", "2026-11-21T00:12:40Z", BOB,
              "route53.amazonaws.com", "ChangeResourceRecordSets", US, IP_BOB,
              ua_bob("route53.change-resource-record-sets"),
              {"hostedZoneId": ZONE, "changeBatch": {
                  "comment": "INC-4817 point status page at the standby host",
                  "changes": [{"action": "UPSERT", "resourceRecordSet": {
                      "name": "status.corp.example.", "type": "A", "tTL": 60,
                      "resourceRecords": [{"value": "198.51.100.77"}]}}]}},
              {"changeInfo": {"id": "/change/C02713891ZX2V8R7FQ3MF", "status": "PENDING",
                              "submittedAt": "Nov 21, 2026, 12:12:40 AM",
                              "comment": "INC-4817 point status page at the standby host"}},
              read_only="false",  # the string form some services emit
              resources=res("AWS::Route53::HostedZone", f"arn:aws:route53:::hostedzone/{ZONE}"),
              host="route53.amazonaws.com"))

ev("N06", rec("9280ba2e-1534-43fd-b357-71b237d047c9", "2026-11-21T00:13:05Z", BOB,
              "route53.amazonaws.com", "GetChange", US, IP_BOB, ua_bob("route53.get-change"),
              {"id": "C02713891ZX2V8R7FQ3MF"}, None, read_only=True, host="route53.amazonaws.com"))

# The root user signs in from an unknown address, without MFA.
ev("S21", {
    "eventVersion": "1.09", "userIdentity": ROOT_SIGNIN, "eventTime": "2026-11-21T02:51:09Z",
    "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": US,
    "sourceIPAddress": IP_ATTACKER, "userAgent": UA_EDGE_WIN, "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                            "MobileVersion": "No", "MFAUsed": "No"},
    "eventID": "6800e67e-527f-4da6-96ec-4c60da8f3fe2", "readOnly": False,
    "eventType": "AwsConsoleSignIn", "managementEvent": True, "recipientAccountId": ACCOUNT,
    "eventCategory": "Management",
    "tlsDetails": tls("signin.aws.amazon.com")})

ev("E22", rec("98daa4bf-7559-4f89-b3fb-95ee22432045", "2026-11-21T02:54:33Z", ROOT_USER,
              "iam.amazonaws.com", "CreateUser", US, IP_ATTACKER, UA_EDGE_WIN,
              {"userName": "backdoor-admin"},
              {"user": {"path": "/", "userName": "backdoor-admin", "userId": "AIDARZ3Q4EXMPLBDADMN1",
                        "arn": f"arn:aws:iam::{ACCOUNT}:user/backdoor-admin",
                        "createDate": "Nov 21, 2026, 2:54:33 AM"}},
              console=True, host="iam.amazonaws.com"))

ev("E23", rec("b6d9f6f4-5cdc-48b9-9a64-00c790010259", "2026-11-21T02:55:02Z", ROOT_USER,
              "iam.amazonaws.com", "AttachUserPolicy", US, IP_ATTACKER, UA_EDGE_WIN,
              {"userName": "backdoor-admin", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
              None, console=True, host="iam.amazonaws.com"))

ev("E24", rec("6a015b66-5e4a-429c-9be7-df00cba497dd", "2026-11-21T02:56:40Z", ROOT_USER,
              "iam.amazonaws.com", "CreateAccessKey", US, IP_ATTACKER, UA_EDGE_WIN,
              {"userName": "backdoor-admin"},
              {"accessKey": {"accessKeyId": "AKIARZ3Q4EXMPLBDADM7", "status": "Active",
                             "userName": "backdoor-admin", "createDate": "Nov 21, 2026, 2:56:40 AM"}},
              console=True, host="iam.amazonaws.com"))

# The new key goes to work from the same address.
ev("N07", rec("365bf63a-6659-4554-8410-3017ead492d2", "2026-11-21T03:08:15Z", BACKDOOR,
              "ec2.amazonaws.com", "DescribeSecurityGroups", EU, IP_ATTACKER,
              ua_backdoor("ec2.describe-security-groups"),
              {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
              None, version="1.10", read_only=True, host="ec2.eu-west-1.amazonaws.com"))

ev("E26", rec("23961c52-2970-4819-ae6f-8f356f02bfb4", "2026-11-21T03:09:02Z", BACKDOOR,
              "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", EU, IP_ATTACKER,
              ua_backdoor("ec2.authorize-security-group-ingress"),
              # flat form, as `--protocol tcp --port 3389 --cidr 0.0.0.0/0` sends it
              {"groupId": SG_BASTION, "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389,
               "cidrIp": "0.0.0.0/0"},
              {"requestId": "e41b7c93-0d2a-4f68-b5e1-9a3c6d8f2b07", "_return": True,
               "securityGroupRuleSet": sg_rule_set(SG_BASTION, "sgr-0a7b8c9d0e1f23456", 3389,
                                                   "0.0.0.0/0", None)},
              version="1.10", host="ec2.eu-west-1.amazonaws.com"))
# no description on the attacker's rule
del EV["E26"]["responseElements"]["securityGroupRuleSet"]["items"][0]["description"]

ev("N08", rec("48018f5e-1863-41da-abca-5daa475d779c", "2026-11-21T03:12:44Z", BACKDOOR,
              "s3.amazonaws.com", "GetBucketPolicy", EU, IP_ATTACKER,
              "[" + ua_backdoor("s3api.get-bucket-policy") + "]",
              {"bucketName": DATA_BUCKET, "Host": s3_host(DATA_BUCKET), "policy": ""},
              None, version="1.10", read_only=True,
              resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{DATA_BUCKET}"),
              host=s3_host(DATA_BUCKET), extra=s3_extra(0, 0), req_id=s3_request_id(),
              error=("NoSuchBucketPolicy", "The bucket policy does not exist")))

ev("E28", rec("614d292e-1f1e-4bfa-a300-3324c470d28b", "2026-11-21T03:13:20Z", BACKDOOR,
              "s3.amazonaws.com", "PutBucketPublicAccessBlock", EU, IP_ATTACKER,
              "[" + ua_backdoor("s3api.put-public-access-block") + "]",
              {"publicAccessBlock": "", "bucketName": DATA_BUCKET, "Host": s3_host(DATA_BUCKET),
               "PublicAccessBlockConfiguration": {
                   "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                   "RestrictPublicBuckets": False, "BlockPublicPolicy": True,
                   "BlockPublicAcls": False, "IgnorePublicAcls": True}},
              None, version="1.10", resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{DATA_BUCKET}"),
              host=s3_host(DATA_BUCKET), extra=s3_extra(268), req_id=s3_request_id()))

ev("N09", rec("e9a5642c-7d07-43e5-b6e5-c77a2ee05f69", "2026-11-21T03:15:02Z", BACKDOOR,
              "s3.amazonaws.com", "GetBucketPolicy", EU, IP_ATTACKER,
              "[" + ua_backdoor("s3api.get-bucket-policy") + "]",
              {"bucketName": FLOWLOGS_BUCKET, "Host": s3_host(FLOWLOGS_BUCKET), "policy": ""},
              None, version="1.10", read_only=True,
              resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{FLOWLOGS_BUCKET}"),
              host=s3_host(FLOWLOGS_BUCKET), extra=s3_extra(0, 1187), req_id=s3_request_id()))

ev("E29", rec("df219833-d97b-401b-b581-437a489229e0", "2026-11-21T03:15:51Z", BACKDOOR,
              "s3.amazonaws.com", "DeleteBucketPolicy", EU, IP_ATTACKER,
              "[" + ua_backdoor("s3api.delete-bucket-policy") + "]",
              {"bucketName": FLOWLOGS_BUCKET, "Host": s3_host(FLOWLOGS_BUCKET), "policy": ""},
              None, version="1.10", resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{FLOWLOGS_BUCKET}"),
              host=s3_host(FLOWLOGS_BUCKET), extra=s3_extra(0), req_id=s3_request_id()))

ev("E30", rec("f054e0b8-3ce3-494d-b394-7d9c777a5bbb", "2026-11-21T03:19:30Z", BACKDOOR,
              "logs.amazonaws.com", "DeleteLogGroup", EU, IP_ATTACKER, ua_backdoor("logs.delete-log-group"),
              {"logGroupName": "/platform/audit"}, None, host="logs.eu-west-1.amazonaws.com"))

ev("E31", rec("27f82f94-6709-4347-bf02-83a32bc318aa", "2026-11-21T03:20:05Z", BACKDOOR,
              "logs.amazonaws.com", "DeleteLogGroup", EU, IP_ATTACKER, ua_backdoor("logs.delete-log-group"),
              {"logGroupName": "/aws/payments-prod/audit"}, None, host="logs.eu-west-1.amazonaws.com"))

ev("E32", rec("90237de7-232a-49de-bed4-32292ed99a49", "2026-11-21T03:22:47Z", BACKDOOR,
              "cloudtrail.amazonaws.com", "StopLogging", EU, IP_ATTACKER, ua_backdoor("cloudtrail.stop-logging"),
              {"name": "platform-audit"}, None, version="1.10",
              host="cloudtrail.eu-west-1.amazonaws.com"))

# --- Saturday daytime: a partner cannot connect, a vendor needs the DB -------

ev("E33", rec("521b55ad-a989-48e5-9645-f8997a98714f", "2026-11-21T09:40:12Z", ONCALL_SAT,
              "elasticloadbalancing.amazonaws.com", "ModifyListener", EU, IP_ONCALL,
              ua_oncall_cli("elbv2.modify-listener"),
              {"listenerArn": LISTENER_ARN, "sslPolicy": "ELBSecurityPolicy-TLS-1-0-2015-04"},
              {"listeners": [{
                  "listenerArn": LISTENER_ARN,
                  "loadBalancerArn": f"arn:aws:elasticloadbalancing:{EU}:{ACCOUNT}:loadbalancer/app/edge-public/6d0ecf831eec9f09",
                  "port": 443, "protocol": "HTTPS",
                  "certificates": [{"certificateArn": f"arn:aws:acm:{EU}:{ACCOUNT}:certificate/"
                                                      "3d9f1c2b-7a4e-4b8d-9c6f-5e0a1b2c3d4e"}],
                  "sslPolicy": "ELBSecurityPolicy-TLS-1-0-2015-04",
                  "defaultActions": [{"type": "forward", "targetGroupArn":
                                      f"arn:aws:elasticloadbalancing:{EU}:{ACCOUNT}:targetgroup/edge-web/9c2e4d6f8a0b1c3e"}]}]},
              version="1.10", host="elasticloadbalancing.eu-west-1.amazonaws.com",
              extra={"addendum": {"reason": "DELIVERY_DELAY"}}))

ev("E34", rec("9e450909-a8d1-4dea-9ddf-c65e144b2080", "2026-11-21T10:05:33Z", ONCALL_SAT,
              "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", EU, IP_ONCALL,
              ua_oncall_cli("ec2.authorize-security-group-ingress"),
              {"groupId": SG_PAY_DB, "ipPermissions": ip_perm(5432, "0.0.0.0/0", "vendor migration INC-4821")},
              {"requestId": "b7e25d1f-3c84-4a09-96d2-0f5a8c1e7b34", "_return": True,
               "securityGroupRuleSet": sg_rule_set(SG_PAY_DB, "sgr-0c3d4e5f6a7b8c9d0", 5432, "0.0.0.0/0",
                                                   "vendor migration INC-4821")},
              version="1.10", host="ec2.eu-west-1.amazonaws.com"))

ev("E35", rec("13d38b63-47e3-4c09-b70c-349f6dcb6633", "2026-11-21T10:31:26Z", BOB,
              "s3.amazonaws.com", "DeleteBucketEncryption", EU, IP_BOB,
              "[" + ua_bob("s3api.delete-bucket-encryption") + "]",
              {"bucketName": RECEIPTS_BUCKET, "Host": s3_host(RECEIPTS_BUCKET), "encryption": ""},
              None, version="1.10", resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{RECEIPTS_BUCKET}"),
              host=s3_host(RECEIPTS_BUCKET), extra=s3_extra(0), req_id=s3_request_id()))

ev("E36", rec("1e527ff9-160e-47a4-89f1-c7e23916e1df", "2026-11-21T11:02:09Z", JANE_SAT,
              "sqs.amazonaws.com", "TagQueue", EU, IP_JANE, UA_CHROME_MAC,
              {"queueUrl": f"https://sqs.{EU}.amazonaws.com/{ACCOUNT}/payments-prod-settlement",
               "tags": {"owner": "jane.doe", "ticket": "INC-4821"}},
              None, console=True, host="sqs.eu-west-1.amazonaws.com"))

# --- Sunday 2026-11-22: detection runs --------------------------------------

ev("N10", rec("c51ae08b-3727-4581-be57-821b6396e022", "2026-11-22T07:45:21Z", SCANNER,
              "ec2.amazonaws.com", "DescribeSecurityGroups", EU, IP_SCANNER, UA_DRIFTCTL,
              {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
              None, version="1.10", read_only=True, host="ec2.eu-west-1.amazonaws.com"))

ev("N11", rec("f0cbb970-378b-470c-b642-8c7a968a89b8", "2026-11-22T07:45:40Z", SCANNER,
              "iam.amazonaws.com", "ListUsers", US, IP_SCANNER, UA_DRIFTCTL,
              None, None, read_only=True, host="iam.amazonaws.com"))

ev("N12", rec("a71cb470-5920-4c65-b7ef-2db5b2ecaa17", "2026-11-22T07:58:12Z", TF_PLAN,
              "ec2.amazonaws.com", "DescribeInstances", EU, IP_GHA, ua_terraform("api/ec2#1.187.0"),
              {"instancesSet": {"items": [{"instanceId": WEB[0]}, {"instanceId": WEB[1]}]}, "filterSet": {}},
              None, version="1.10", read_only=True, host="ec2.eu-west-1.amazonaws.com"))

ev("N13", rec("2a4abf0b-c32d-41c6-b8fc-1b9f9c323459", "2026-11-22T07:58:14Z", TF_PLAN,
              "s3.amazonaws.com", "GetBucketEncryption", EU, IP_GHA, "[" + ua_terraform("api/s3#1.66.0") + "]",
              {"bucketName": DATA_BUCKET, "Host": s3_host(DATA_BUCKET), "encryption": ""},
              None, version="1.10", read_only=True,
              resources=res("AWS::S3::Bucket", f"arn:aws:s3:::{DATA_BUCKET}"),
              host=s3_host(DATA_BUCKET), extra=s3_extra(0, 231), req_id=s3_request_id()))

ev("N14", rec("dc19c734-aede-4aaa-96aa-305ba40f8266", "2026-11-21T03:11:58Z", INGEST_FN,
              "kms.amazonaws.com", "Decrypt", EU, "s3.amazonaws.com", "s3.amazonaws.com",
              {"encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{DATA_BUCKET}"},
               "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
              None, version="1.10", read_only=True, resources=res("AWS::KMS::Key", KMS_ARN)))

# ---------------------------------------------------------------------------
# Delivery: which file carries which events.  (region, delivery time, events)
# E12 is delivered twice (AWS documents duplicate deliveries); one file is
# plain JSON.
# ---------------------------------------------------------------------------

FILES = [
    (US, "20261119T0920Z", ["C01"]),
    (US, "20261119T1630Z", ["E05"]),
    (US, "20261120T2310Z", ["D14", "E15"]),
    (US, "20261121T0020Z", ["E20", "N06"]),
    (US, "20261121T0300Z", ["S21", "E22", "E23"]),
    (US, "20261121T0305Z", ["E24"]),
    (US, "20261122T0750Z", ["N11"]),
    (EU, "20261119T0920Z", ["N01", "C02", "C03"]),
    (EU, "20261120T0405Z", ["N02"]),
    (EU, "20261120T2205Z", ["C04", "E07", "C05"]),
    (EU, "20261120T2215Z", ["E09"]),
    (EU, "20261120T2225Z", ["E10"]),
    (EU, "20261120T2245Z", ["D11", "E12"]),
    (EU, "20261120T2250Z", ["E13", "E12", "N03"]),
    (EU, "20261120T2335Z", ["N04", "N05"]),
    (EU, "20261120T2345Z", ["E17"]),
    (EU, "20261120T2355Z", ["E18"]),
    (EU, "20261121T0315Z", ["N07", "E26", "N14", "N08", "E28"]),
    (EU, "20261121T0325Z", ["N09", "E29", "E30", "E31", "E32"]),
    (EU, "20261121T1010Z", ["E34"]),
    (EU, "20261121T1035Z", ["E35"]),
    (EU, "20261121T1105Z", ["E36"]),
    (EU, "20261121T1140Z", ["E33"]),   # delivered two hours late (addendum DELIVERY_DELAY)
    (EU, "20261122T0750Z", ["N10"]),
    (EU, "20261122T0805Z", ["N12", "N13"]),
]
PLAIN_JSON = (EU, "20261121T0315Z")

_name_rng = random.Random(1122)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    used = set()
    written = []
    for region, stamp, keys in FILES:
        suffix = "".join(_name_rng.choice(ALNUM) for _ in range(16))
        y, m, d = stamp[0:4], stamp[4:6], stamp[6:8]
        folder = os.path.join(ROOT, ACCOUNT, "CloudTrail", region, y, m, d)
        os.makedirs(folder, exist_ok=True)
        base = f"{ACCOUNT}_CloudTrail_{region}_{stamp}_{suffix}.json"
        records = []
        for k in keys:
            r = EV[k]
            assert r["awsRegion"] == region, (k, region)
            assert r["eventTime"].replace("-", "").replace(":", "")[:13] <= stamp[:13], (k, stamp)
            records.append(r)
            used.add(k)
        body = json.dumps({"Records": records}, separators=(",", ":")).encode()
        if (region, stamp) == PLAIN_JSON:
            path = os.path.join(folder, base)
            with open(path, "wb") as f:
                f.write(body)
        else:
            path = os.path.join(folder, base + ".gz")
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
                gz.write(body)
            with open(path, "wb") as f:
                f.write(buf.getvalue())
        written.append(os.path.relpath(path, HERE))
    missing = set(EV) - used
    assert not missing, f"events never delivered: {sorted(missing)}"
    ids = [r["eventID"] for r in EV.values()]
    assert len(ids) == len(set(ids)), "duplicate eventID between distinct events"
    for p in written:
        print(p)
    print(f"{len(EV)} distinct events in {len(written)} files")


if __name__ == "__main__":
    main()
