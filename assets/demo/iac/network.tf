# Web tier.  The VPC and subnets belong to the network workspace.

resource "aws_security_group" "web" {
  name        = "web-prod"
  description = "web tier - managed by terraform"
  vpc_id      = var.vpc_id

  # Only the internal ALB talks to the web tier.  No SSH: use SSM Session
  # Manager (runbook RB-007) instead of opening port 22.
  ingress {
    description = "https from internal ALB"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.40.0.0/16"]
  }
  ingress {
    description = "http redirect from internal ALB"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["10.40.0.0/16"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "web-prod"
    Tier = "web"
  }
}

resource "aws_instance" "web" {
  count = var.web_instance_count

  ami                  = var.web_ami
  instance_type        = var.web_instance_type
  subnet_id            = var.private_subnet_ids[count.index]
  iam_instance_profile = "web-prod"
  monitoring           = true

  vpc_security_group_ids = [aws_security_group.web.id]

  credit_specification {
    cpu_credits = "unlimited"
  }

  metadata_options {
    http_tokens                 = "required"   # IMDSv2 only
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 20
    encrypted   = true
  }

  tags = merge(local.web_tags, { Name = "web-${count.index}" })
}
