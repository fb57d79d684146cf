//! Who made a call and with what: the human behind `userIdentity` (IAM user, assumed role and
//! session, Identity Center, root, AWS service), the tool claimed by the user agent, and
//! whether the change was out-of-band.
//!
//! The principal (`arn`, `sessionIssuer`) is what CloudTrail vouches for; the user agent and
//! service-name source IPs are claims made by the client, so the tool is a "claimed tool".

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;
use serde_json::Value;

/// The person or service behind a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `userIdentity.type` (`IAMUser`, `AssumedRole`, `IdentityCenterUser`, `Root`,
    /// `AWSService`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The caller's ARN (assumed-role session ARN for roles), when recorded.
    pub arn: Option<String>,
    /// What to show: user name, role session name (the e-mail for Identity Center),
    /// `root`, or the service host.
    pub display: String,
    /// The IAM principal behind it: user name or role name (`None` for root and services).
    #[serde(skip)]
    pub principal: Option<String>,
    /// ARN of the role (session issuer) or user.
    #[serde(skip)]
    pub principal_arn: Option<String>,
    /// Role session name for assumed roles.
    #[serde(skip)]
    pub session: Option<String>,
    /// `sessionContext.sourceIdentity`, often the human behind a shared role.
    #[serde(skip)]
    pub source_identity: Option<String>,
    /// Identity Center permission set (`AWSReservedSSO_<set>_<hash>`).
    #[serde(skip)]
    pub permission_set: Option<String>,
    /// The access key used.
    #[serde(skip)]
    pub access_key_id: Option<String>,
}

impl Actor {
    /// One line: `jane.doe@corp.example (AWSReservedSSO_AdministratorAccess_…)`.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut s = self.display.clone();
        match (&self.principal, self.kind.as_str()) {
            (Some(_), "AssumedRole") if self.permission_set.is_some() => {
                let _ = write!(
                    s,
                    " (Identity Center, {})",
                    self.permission_set.as_deref().unwrap_or_default()
                );
            }
            (Some(p), "AssumedRole") => {
                let _ = write!(s, " (role {p})");
            }
            (Some(p), "IAMUser") if p != &self.display => {
                let _ = write!(s, " (user {p})");
            }
            _ => {}
        }
        if let Some(si) = &self.source_identity {
            let _ = write!(s, " [source identity {si}]");
        }
        s
    }

    /// A key grouping one person's session: principal + session (or access key).
    pub fn session_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.principal_arn
                .as_deref()
                .or(self.arn.as_deref())
                .unwrap_or(&self.kind),
            self.session.as_deref().unwrap_or(&self.display),
            self.source_identity.as_deref().unwrap_or("")
        )
    }
}

/// The tool a user agent claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// The AWS console (browser or console service credentials).
    Console,
    /// The AWS CLI.
    AwsCli,
    /// Terraform or OpenTofu.
    Terraform,
    /// CloudFormation or the CDK.
    Cloudformation,
    /// Pulumi.
    Pulumi,
    /// An AWS SDK (Boto3, Go, Java, JS, Rust …), e.g. a script or runbook.
    Sdk,
    /// An AWS service acting on its own or on someone's behalf.
    AwsService,
    /// Nothing recognisable.
    Unknown,
}

impl Tool {
    /// Kebab-case name used in JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Console => "console",
            Tool::AwsCli => "aws-cli",
            Tool::Terraform => "terraform",
            Tool::Cloudformation => "cloudformation",
            Tool::Pulumi => "pulumi",
            Tool::Sdk => "sdk",
            Tool::AwsService => "aws-service",
            Tool::Unknown => "unknown",
        }
    }

    /// True for infrastructure-as-code tools: their changes are in-band.
    pub fn is_iac(self) -> bool {
        matches!(self, Tool::Terraform | Tool::Cloudformation | Tool::Pulumi)
    }
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|x| !x.is_empty()).map(str::to_string)
}

/// Resolves `userIdentity` to an actor.
pub fn resolve_actor(ui: &Value) -> Actor {
    let kind = s(ui, &["type"]).unwrap_or_else(|| "Unknown".to_string());
    let arn = s(ui, &["arn"]);
    let access_key_id = s(ui, &["accessKeyId"]);
    let source_identity = s(ui, &["sessionContext", "sourceIdentity"]);
    let mut actor = Actor {
        kind: kind.clone(),
        arn: arn.clone(),
        display: String::new(),
        principal: None,
        principal_arn: None,
        session: None,
        source_identity,
        permission_set: None,
        access_key_id,
    };
    match kind.as_str() {
        "IAMUser" => {
            let name = s(ui, &["userName"])
                .or_else(|| {
                    arn.as_deref()
                        .and_then(|a| a.rsplit('/').next())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "unknown user".to_string());
            actor.display.clone_from(&name);
            actor.principal = Some(name);
            actor.principal_arn = arn;
        }
        "AssumedRole" => {
            // arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
            let mut parts = arn.as_deref().unwrap_or("").rsplitn(3, '/');
            let session = parts.next().filter(|x| !x.is_empty()).map(str::to_string);
            let role_from_arn = parts.next().map(str::to_string);
            let role = s(ui, &["sessionContext", "sessionIssuer", "userName"]).or(role_from_arn);
            actor.principal_arn = s(ui, &["sessionContext", "sessionIssuer", "arn"]);
            if let Some(r) = role.as_deref().and_then(|r| r.strip_prefix("AWSReservedSSO_")) {
                // AWSReservedSSO_<PermissionSet>_<hash>: the set is everything before the hash.
                let set = r.rsplit_once('_').map_or(r, |(a, _)| a);
                actor.permission_set = Some(set.to_string());
            }
            actor.display = session
                .clone()
                .or_else(|| role.clone())
                .unwrap_or_else(|| "unknown session".to_string());
            actor.session = session;
            actor.principal = role;
        }
        "IdentityCenterUser" => {
            let user = s(ui, &["onBehalfOf", "userId"]).unwrap_or_else(|| "unknown user".to_string());
            actor.display.clone_from(&user);
            actor.principal = Some(user);
            actor.principal_arn = s(ui, &["onBehalfOf", "identityStoreArn"]);
            actor.session = s(ui, &["credentialId"]);
        }
        "Root" => {
            actor.display = "root".to_string();
            actor.principal_arn = arn;
        }
        "AWSService" => {
            actor.display = s(ui, &["invokedBy"]).unwrap_or_else(|| "AWS service".to_string());
        }
        _ => {
            actor.display = s(ui, &["userName"])
                .or_else(|| arn.clone())
                .or_else(|| s(ui, &["principalId"]))
                .or_else(|| s(ui, &["invokedBy"]))
                .unwrap_or_else(|| kind.clone());
            actor.principal_arn = arn;
        }
    }
    // `onBehalfOf` on a role session names the Identity Center user behind it.
    if actor.source_identity.is_none() {
        actor.source_identity = s(ui, &["onBehalfOf", "userId"]).filter(|_| kind != "IdentityCenterUser");
    }
    actor
}

/// User-agent tokens of the AWS SDKs.
const SDKS: [&str; 9] = [
    "Boto3/",
    "Botocore/",
    "aws-sdk-go",
    "aws-sdk-java",
    "aws-sdk-js",
    "aws-sdk-rust",
    "aws-sdk-dotnet",
    "aws-sdk-ruby",
    "aws-sdk-php",
];

/// The tool claimed by a call (user agent first, then console and service signals).
pub fn resolve_tool(
    user_agent: Option<&str>,
    ui: &Value,
    console_session: bool,
    source_ip: Option<&str>,
) -> Tool {
    let ua = user_agent.unwrap_or("").trim();
    // S3 puts the whole user agent in brackets.
    let ua = ua
        .strip_prefix('[')
        .and_then(|u| u.strip_suffix(']'))
        .unwrap_or(ua);
    let invoked_by = s(ui, &["invokedBy"]);
    let kind = s(ui, &["type"]).unwrap_or_default();
    // Pulumi once sent Terraform's tokens (pulumi-aws #2190): check it first.
    if ua.contains("Pulumi") {
        return Tool::Pulumi;
    }
    if ua.contains("Terraform/") || ua.contains("terraform-provider-") || ua.contains("OpenTofu/") {
        return Tool::Terraform;
    }
    if ua.contains("cloudformation.amazonaws.com")
        || invoked_by.as_deref() == Some("cloudformation.amazonaws.com")
        || source_ip == Some("cloudformation.amazonaws.com")
    {
        return Tool::Cloudformation;
    }
    if ua.starts_with("aws-cli/") || ua.contains(" aws-cli/") {
        return Tool::AwsCli;
    }
    if console_session
        || ua.starts_with("Mozilla/")
        || ua.contains("S3Console")
        || ua.contains("console.amazonaws.com")
        || ua.contains("signin.amazonaws.com")
    {
        return Tool::Console;
    }
    if kind == "AWSService" || invoked_by.is_some() {
        return Tool::AwsService;
    }
    if SDKS.iter().any(|t| ua.contains(t)) {
        return Tool::Sdk;
    }
    if ua.ends_with(".amazonaws.com") || source_ip.is_some_and(|ip| ip.ends_with(".amazonaws.com")) {
        return Tool::AwsService;
    }
    Tool::Unknown
}

/// MFA flag of the session (`sessionContext.attributes.mfaAuthenticated`, a string), or
/// `additionalEventData.MFAUsed` for sign-ins.
pub fn mfa_of(ui: &Value) -> bool {
    match ui
        .get("sessionContext")
        .and_then(|c| c.get("attributes"))
        .and_then(|a| a.get("mfaAuthenticated"))
    {
        Some(Value::String(v)) => v.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

/// Pipeline principals from the config: names or ARNs, globs allowed.
#[derive(Debug, Clone)]
pub struct PipelinePrincipals {
    set: GlobSet,
    empty: bool,
}

impl Default for PipelinePrincipals {
    fn default() -> Self {
        PipelinePrincipals {
            set: GlobSet::empty(),
            empty: true,
        }
    }
}

impl PipelinePrincipals {
    /// Compiles the patterns; a bad glob is an error naming it.
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let g = Glob::new(p).map_err(|e| format!("pipeline_principals: bad pattern {p:?}: {e}"))?;
            b.add(g);
        }
        let set = b.build().map_err(|e| format!("pipeline_principals: {e}"))?;
        Ok(PipelinePrincipals {
            set,
            empty: patterns.is_empty(),
        })
    }

    /// True when the actor's role/user name or ARN matches a pattern.
    pub fn matches(&self, actor: &Actor) -> bool {
        if self.empty {
            return false;
        }
        [
            actor.principal.as_deref(),
            actor.principal_arn.as_deref(),
            actor.arn.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|c| self.set.is_match(c))
    }
}

/// A change is out-of-band unless an IaC tool made it or a pipeline principal did.
pub fn out_of_band(tool: Tool, actor: &Actor, pipeline: &PipelinePrincipals) -> bool {
    !(tool.is_iac() || pipeline.matches(actor))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sso_session_is_the_human() {
        let ui = json!({"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_AdministratorAccess_1a2b/jane@x",
            "sessionContext":{"sessionIssuer":{"userName":"AWSReservedSSO_AdministratorAccess_1a2b","arn":"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_1a2b"},
            "attributes":{"mfaAuthenticated":"true"}}});
        let a = resolve_actor(&ui);
        assert_eq!(a.display, "jane@x");
        assert_eq!(a.permission_set.as_deref(), Some("AdministratorAccess"));
        assert!(mfa_of(&ui));
    }

    #[test]
    fn globs_match_role_names_and_arns() {
        let p = PipelinePrincipals::new(&["terraform-*".into(), "arn:aws:iam::*:role/deployer".into()])
            .expect("globs");
        let mut a = resolve_actor(
            &json!({"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/terraform-ci/run-1"}),
        );
        assert!(p.matches(&a));
        a.principal = Some("other".into());
        a.arn = None;
        a.principal_arn = Some("arn:aws:iam::1:role/deployer".into());
        assert!(p.matches(&a));
        assert!(PipelinePrincipals::new(&["[".into()]).is_err());
    }
}
