# platform workspace — the shared bits every app in eu-west-1 leans on.
#
#   state:    s3://corp-tfstate/platform/terraform.tfstate
#   pipeline: .github/workflows/platform.yml (role terraform-ci, OIDC)
#
# Networking (VPC, subnets, the DB security groups, the edge LB and DNS) lives
# in the *network* workspace; we only take its ids as variables.

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }

  backend "s3" {
    bucket         = "corp-tfstate"
    key            = "platform/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "corp-tfstate-locks"
    encrypt        = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      ManagedBy = "terraform"
      Stack     = "platform"
    }
  }
}

# ---------------------------------------------------------------- encryption

resource "aws_kms_key" "data" {
  description             = "platform data key (S3, logs, trail)"
  deletion_window_in_days = 30
  enable_key_rotation     = true # SEC-12: rotation is mandatory, do not turn off

  tags = { Name = "platform-data" }
}

resource "aws_kms_alias" "data" {
  name          = "alias/platform-data"
  target_key_id = aws_kms_key.data.key_id
}

# ------------------------------------------------------------------- audit

resource "aws_cloudwatch_log_group" "audit" {
  name              = "/platform/audit"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.data.arn

  tags = {
    Name = "platform-audit"
  }
}

resource "aws_s3_bucket" "trail" {
  bucket = "corp-platform-cloudtrail-${var.account_id}"
  tags   = { Name = "platform-cloudtrail" }
}

resource "aws_cloudtrail" "main" {
  name                          = "platform-audit"
  s3_bucket_name                = aws_s3_bucket.trail.id
  kms_key_id                    = aws_kms_key.data.arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true

  # CloudTrail wants the ":*" suffix on the log group ARN
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.audit.arn}:*"
  cloud_watch_logs_role_arn  = var.trail_cw_role_arn

  tags = { Name = "platform-audit" }
}

# ------------------------------------------------------------------ ingest

resource "aws_lambda_function" "ingest" {
  function_name = "platform-ingest"
  description   = "pulls the partner feed into the data bucket"
  role          = aws_iam_role.ingest.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  architectures = ["arm64"]

  filename         = "build/ingest.zip"
  source_code_hash = filebase64sha256("build/ingest.zip")

  memory_size = 512
  timeout     = 30

  environment {
    variables = {
      API_TOKEN   = var.ingest_api_token
      DATA_BUCKET = module.app["eu"].bucket_name
      LOG_LEVEL   = "info"
    }
  }

  tracing_config {
    mode = "Active"
  }

  tags = { Team = "platform" }

  depends_on = [aws_iam_role_policy_attachment.ingest_basic]
}

# -------------------------------------------------------------------- apps

module "app" {
  for_each = var.apps
  source   = "./modules/app"

  name              = each.key
  account_id        = var.account_id
  create_db         = each.value.create_db
  db_instance_class = each.value.db_instance_class

  db_password           = var.db_password
  db_subnet_group_name  = "platform-db"
  db_security_group_ids = var.db_security_group_ids
  monitoring_role_arn   = "arn:aws:iam::111122223333:role/rds-enhanced-monitoring"

  kms_key_arn = aws_kms_key.data.arn
}
