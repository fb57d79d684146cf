variable "region" {
  description = "home region"
  type        = string
  default     = "eu-west-1"
}

variable "account_id" {
  description = "AWS account the platform stack lives in"
  type        = string
  default     = "111122223333"
}

variable "vpc_id" {
  description = "VPC of the platform (owned by the network stack)"
  type        = string
}

variable "private_subnet_ids" {
  description = "private subnets, one per web instance"
  type        = list(string)
}

variable "web_ami" {
  description = "AMI of the web tier"
  type        = string
}

variable "web_instance_type" {
  description = "instance type of the web tier"
  type        = string
  default     = "t3.small" # prod overrides this in terraform.tfvars
}

variable "web_instance_count" {
  description = "number of web instances"
  type        = number
  default     = 2
}

variable "apps" {
  description = "one module.app instance per key"
  type = map(object({
    create_db         = bool
    db_instance_class = string
  }))
}

variable "db_password" {
  description = "master password of the app databases (from TF_VAR_db_password in CI)"
  type        = string
  sensitive   = true
}

variable "db_security_group_ids" {
  description = "security groups of the app databases (owned by the network stack)"
  type        = list(string)
}

variable "deploy_role_name" {
  description = "role the deploy pipeline assumes; created by iam-bootstrap"
  type        = string
  default     = "platform-deploy"
}

# TODO(PLAT-311): mark sensitive and move to Secrets Manager.  Until then the
# token shows up in plan output in clear text.
variable "ingest_api_token" {
  description = "partner feed token (from TF_VAR_ingest_api_token). TODO(PLAT-311): mark sensitive"
  type        = string
}

variable "trail_cw_role_arn" {
  description = "role CloudTrail uses to write to CloudWatch Logs"
  type        = string
}
