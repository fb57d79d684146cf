locals {
  # tags every web instance carries on top of the provider default_tags
  web_tags = {
    Tier = "web"
  }
}
