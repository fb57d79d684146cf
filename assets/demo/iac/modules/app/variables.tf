variable "name" {
  description = "app key (module.app for_each key)"
  type        = string
}

variable "account_id" {
  description = "account id, used in bucket names"
  type        = string
}

variable "create_db" {
  description = "create the app database"
  type        = bool
  default     = false
}

variable "db_instance_class" {
  description = "instance class of the app database"
  type        = string
  default     = "db.t4g.medium"
}

variable "db_password" {
  description = "master password"
  type        = string
  sensitive   = true
}

variable "db_subnet_group_name" {
  description = "subnet group of the database"
  type        = string
}

variable "db_security_group_ids" {
  description = "security groups of the database"
  type        = list(string)
  default     = []
}

variable "monitoring_role_arn" {
  description = "enhanced monitoring role"
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key for the bucket and the database"
  type        = string
}
