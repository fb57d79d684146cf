locals {
  bucket_name = "corp-app-${var.name}-data-${var.account_id}"

  # RPO agreed with the payments team (ADR-012): seven days of PITR.
  backup_days = 7

  tags = {
    App = var.name
  }
}
