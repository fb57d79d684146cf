# prod values for the platform workspace.
# Secrets are NOT here: CI exports TF_VAR_db_password and TF_VAR_ingest_api_token.

vpc_id             = "vpc-0c4f1e2d3a5b69870"
private_subnet_ids = ["subnet-0a11b22c33d44e55f", "subnet-0f66e77d88c99b00a"]

web_ami           = "ami-0e9085e60087ce171"  # AL2023 x86_64, 2026-11 bake
web_instance_type = "t3.medium"

db_security_group_ids = ["sg-0d4e5f60718293a4b"]
trail_cw_role_arn     = "arn:aws:iam::111122223333:role/cloudtrail-to-cloudwatch"

apps = {
  eu = {
    create_db         = true
    db_instance_class = "db.r6g.large"
  }
  analytics = { create_db = false, db_instance_class = "db.t4g.medium" }
}
