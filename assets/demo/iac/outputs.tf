output "web_security_group_id" {
  value = aws_security_group.web.id
}

output "data_buckets" {
  value = { for k, m in module.app : k => m.bucket_name }
}
