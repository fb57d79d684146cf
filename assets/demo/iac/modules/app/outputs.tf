output "bucket_name" {
  value = aws_s3_bucket.data.id
}

output "db_endpoint" {
  value = one(aws_db_instance.main[*].endpoint)
}
