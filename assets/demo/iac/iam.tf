# IAM for the platform workspace.
#
# NOTE: the platform-deploy *role* itself is created by the iam-bootstrap
# workspace; only its inline policy is managed here.

resource "aws_iam_role_policy" "deploy" {
  name = "platform-deploy-inline"
  role = var.deploy_role_name

  # Least privilege: artifacts bucket + the ingest function, nothing else.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PushArtifacts"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::corp-artifacts-111122223333", "arn:aws:s3:::corp-artifacts-111122223333/*"]
      },
      {
        Sid    = "UpdateIngest"
        Effect = "Allow"
        Action = ["lambda:UpdateFunctionCode", "lambda:GetFunction"]
        Resource = "arn:aws:lambda:eu-west-1:111122223333:function:platform-ingest"
      },
    ]
  })
}

# GitHub Actions plans with this role (read only).
resource "aws_iam_role" "ci" {
  name        = "platform-ci"
  description = "GitHub Actions OIDC role for platform CI (plan only)"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::${var.account_id}:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:corp/platform-infra:*" }
      }
    }]
  })

  managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

  tags = {
    Team = "platform"
  }
}

resource "aws_iam_role" "ingest" {
  name        = "platform-ingest"
  description = "execution role of the platform-ingest function"

  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Action = "sts:AssumeRole", Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" } }]
  })

  tags = { Team = "platform" }
}

resource "aws_iam_role_policy_attachment" "ingest_basic" {
  role       = aws_iam_role.ingest.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}
