//! Which credentials reach which AWS account: the `[attribution.accounts]` table of
//! `config.toml` and `--account-profile ACCOUNT=PROFILE`, resolved to one SDK configuration
//! (and so one cached credential provider) per account.
//!
//! LookupEvents only sees the events of the account the credentials act in, so an item of
//! another account looked up with the default credentials would silently find nothing. An item
//! whose account has no mapping (and no `"*"` fallback) is therefore looked up with the default
//! credentials only when they act in that very account (checked once per run with STS
//! `GetCallerIdentity`); otherwise it fails with a message naming the account and how to map it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_config::identity::IdentityCache;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_cloudtrail::config::SharedCredentialsProvider;
use tokio::sync::OnceCell;

use super::cloudtrail::{LiveOptions, load_sdk_config, sdk_error};
use super::source::SourceError;

/// How driftdeck reaches one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRoute {
    /// A profile of the shared AWS config/credentials files (SSO profiles included).
    Profile(String),
    /// A role assumed through STS, starting from `source_profile` (the default chain when
    /// absent).
    AssumeRole {
        /// `arn:aws:iam::444455556666:role/driftdeck-readonly`.
        role_arn: String,
        /// The profile whose credentials call `sts:AssumeRole`.
        source_profile: Option<String>,
    },
}

impl AccountRoute {
    /// `profile prod-readonly` / `role arn:… via sso-security` for messages.
    pub fn describe(&self) -> String {
        match self {
            AccountRoute::Profile(p) => format!("profile {p}"),
            AccountRoute::AssumeRole {
                role_arn,
                source_profile: Some(p),
            } => format!("role {role_arn} via profile {p}"),
            AccountRoute::AssumeRole { role_arn, .. } => format!("role {role_arn}"),
        }
    }
}

/// Account id (12 digits) or `"*"` → how to reach it.
pub type AccountMap = BTreeMap<String, AccountRoute>;

fn valid_account_key(k: &str) -> bool {
    k == "*" || (k.len() == 12 && k.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads the `[attribution.accounts]` table.
pub fn parse_accounts(table: &toml::Table) -> Result<AccountMap, String> {
    let mut out = AccountMap::new();
    for (account, v) in table {
        if !valid_account_key(account) {
            return Err(format!(
                "[attribution.accounts]: {account:?} is not a 12-digit account id or \"*\""
            ));
        }
        let t = v.as_table().ok_or_else(|| {
            format!(
                "[attribution.accounts] {account:?}: expected a table like {{ profile = \"prod-readonly\" }} or {{ role_arn = \"arn:aws:iam::{account}:role/driftdeck-readonly\", source_profile = \"…\" }}"
            )
        })?;
        let text = |k: &str| -> Result<Option<String>, String> {
            match t.get(k) {
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
                Some(_) => Err(format!(
                    "[attribution.accounts] {account:?}: {k} must be a non-empty string"
                )),
            }
        };
        if let Some(unknown) = t
            .keys()
            .find(|k| !matches!(k.as_str(), "profile" | "role_arn" | "source_profile"))
        {
            return Err(format!(
                "[attribution.accounts] {account:?}: unknown key {unknown:?} (expected profile, or role_arn with an optional source_profile)"
            ));
        }
        let route = match (text("profile")?, text("role_arn")?, text("source_profile")?) {
            (Some(p), None, None) => AccountRoute::Profile(p),
            (None, Some(role_arn), source_profile) => {
                if !role_arn.starts_with("arn:") || !role_arn.contains(":role/") {
                    return Err(format!(
                        "[attribution.accounts] {account:?}: role_arn {role_arn:?} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                    ));
                }
                AccountRoute::AssumeRole {
                    role_arn,
                    source_profile,
                }
            }
            _ => {
                return Err(format!(
                    "[attribution.accounts] {account:?}: give either profile, or role_arn with an optional source_profile"
                ));
            }
        };
        out.insert(account.clone(), route);
    }
    Ok(out)
}

/// Reads one `--account-profile ACCOUNT=PROFILE` value.
pub fn parse_account_profile(s: &str) -> Result<(String, AccountRoute), String> {
    let (account, profile) = s.split_once('=').ok_or_else(|| {
        format!("--account-profile {s:?}: expected ACCOUNT=PROFILE, e.g. 111122223333=prod-readonly")
    })?;
    let (account, profile) = (account.trim(), profile.trim());
    if !valid_account_key(account) {
        return Err(format!(
            "--account-profile {s:?}: {account:?} is not a 12-digit account id or \"*\""
        ));
    }
    if profile.is_empty() {
        return Err(format!("--account-profile {s:?}: the profile name is empty"));
    }
    Ok((account.to_string(), AccountRoute::Profile(profile.to_string())))
}

/// The SDK configuration chosen for one lookup.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Configuration with the account's credential provider (and its cache).
    pub config: SdkConfig,
    /// The account when known (limiter and client key), else `default`.
    pub key: String,
}

/// The per-run resolver: one lazily built SDK configuration per mapped account, the default
/// configuration for everything else, and the caller's account (asked once).
pub struct Accounts {
    opts: LiveOptions,
    base: SdkConfig,
    routes: AccountMap,
    configs: Mutex<HashMap<String, Arc<OnceCell<SdkConfig>>>>,
    caller: OnceCell<Result<String, SourceError>>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl Accounts {
    /// A resolver over the default configuration `base` (loaded from `opts`).
    pub fn new(opts: LiveOptions, base: SdkConfig) -> Self {
        let routes = opts.accounts.clone();
        Accounts {
            opts,
            base,
            routes,
            configs: Mutex::new(HashMap::new()),
            caller: OnceCell::new(),
        }
    }

    /// The default configuration.
    pub fn base(&self) -> &SdkConfig {
        &self.base
    }

    /// The account the default credentials act in (STS `GetCallerIdentity`, asked once).
    pub async fn caller(&self) -> Result<String, SourceError> {
        self.caller
            .get_or_init(|| async {
                let client = aws_sdk_sts::Client::new(&self.base);
                let out = client
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e, "sts:GetCallerIdentity"))?;
                out.account()
                    .map(str::to_string)
                    .ok_or_else(|| SourceError::Service("GetCallerIdentity returned no account".into()))
            })
            .await
            .clone()
    }

    async fn route_config(&self, name: &str, route: &AccountRoute) -> SdkConfig {
        let cell = {
            let mut m = match self.configs.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            m.entry(name.to_string()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let with_profile = |p: Option<&String>| LiveOptions {
                profile: p.cloned().or_else(|| self.opts.profile.clone()),
                // Static test keys stand for the default chain only: a named profile reads
                // its own credentials.
                static_credentials: if p.is_some() {
                    None
                } else {
                    self.opts.static_credentials.clone()
                },
                ..self.opts.clone()
            };
            // A named profile's own credentials: the default chain would let AWS_ACCESS_KEY_ID
            // in the environment win over the profile and reach the wrong account.
            let profile_config = |p: &String| {
                let opts = with_profile(Some(p));
                let p = p.clone();
                async move {
                    load_sdk_config(&opts)
                        .await
                        .into_builder()
                        .credentials_provider(SharedCredentialsProvider::new(
                            ProfileFileCredentialsProvider::builder().profile_name(p).build(),
                        ))
                        .identity_cache(IdentityCache::lazy().build())
                        .build()
                }
            };
            match route {
                AccountRoute::Profile(p) => profile_config(p).await,
                AccountRoute::AssumeRole {
                    role_arn,
                    source_profile,
                } => {
                    let source = match source_profile {
                        Some(p) => profile_config(p).await,
                        None => load_sdk_config(&with_profile(None)).await,
                    };
                    let provider = AssumeRoleProvider::builder(role_arn.clone())
                        .session_name("driftdeck")
                        .configure(&source)
                        .build()
                        .await;
                    source
                        .into_builder()
                        .credentials_provider(SharedCredentialsProvider::new(provider))
                        .identity_cache(IdentityCache::lazy().build())
                        .build()
                }
            }
        })
        .await
        .clone()
    }

    /// The mapping that applies to `account`, with the table key it came from.
    pub fn route_of(&self, account: &str) -> Option<(&str, &AccountRoute)> {
        self.routes
            .get_key_value(account)
            .or_else(|| self.routes.get_key_value("*"))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Whether any mapping is configured.
    pub fn is_mapped(&self) -> bool {
        !self.routes.is_empty()
    }

    /// The configuration for a lookup in `account` (`None`: the item does not say, so the
    /// default credentials are used).
    pub async fn resolve(&self, account: Option<&str>) -> Result<Resolved, SourceError> {
        let Some(account) = account else {
            return Ok(Resolved {
                config: self.base.clone(),
                key: "default".into(),
            });
        };
        if let Some((name, route)) = self.route_of(account) {
            let route = route.clone();
            return Ok(Resolved {
                config: self.route_config(name, &route).await,
                key: account.to_string(),
            });
        }
        match self.caller().await {
            Ok(caller) if caller == account => Ok(Resolved {
                config: self.base.clone(),
                key: account.to_string(),
            }),
            Ok(caller) => Err(SourceError::Account(unmapped_message(account, Some(&caller)))),
            Err(e) => Err(SourceError::Account(format!(
                "{}; the account of the default credentials could not be read: {e}",
                unmapped_message(account, None)
            ))),
        }
    }
}

/// The message of an item whose account nobody mapped.
pub fn unmapped_message(account: &str, caller: Option<&str>) -> String {
    let acting = caller.map_or_else(String::new, |c| {
        format!(" (the default credentials act in account {c})")
    });
    format!(
        "account {account} has no credentials mapping{acting}: add \"{account}\" = {{ profile = \"…\" }} \
or {{ role_arn = \"arn:aws:iam::{account}:role/…\", source_profile = \"…\" }} under [attribution.accounts] \
in config.toml, or pass --account-profile {account}=PROFILE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accounts_table_reads_profiles_roles_and_the_fallback() {
        let t: toml::Table = toml::from_str(
            r#"
"111122223333" = { profile = "prod-readonly" }
"444455556666" = { role_arn = "arn:aws:iam::444455556666:role/driftdeck-readonly", source_profile = "sso-security" }
"*" = { profile = "default" }
"#,
        )
        .expect("toml");
        let m = parse_accounts(&t).expect("parses");
        assert_eq!(m["111122223333"], AccountRoute::Profile("prod-readonly".into()));
        assert_eq!(
            m["444455556666"],
            AccountRoute::AssumeRole {
                role_arn: "arn:aws:iam::444455556666:role/driftdeck-readonly".into(),
                source_profile: Some("sso-security".into())
            }
        );
        assert_eq!(m["*"], AccountRoute::Profile("default".into()));
    }

    #[test]
    fn bad_account_entries_are_named() {
        for (text, want) in [
            (r#""12345" = { profile = "p" }"#, "12-digit"),
            (r#""111122223333" = { profil = "p" }"#, "unknown key \"profil\""),
            (
                r#""111122223333" = { profile = "p", role_arn = "arn:aws:iam::1:role/x" }"#,
                "either profile",
            ),
            (r#""111122223333" = { role_arn = "oops" }"#, "not a role ARN"),
            (r#""111122223333" = "p""#, "expected a table"),
        ] {
            let t: toml::Table = toml::from_str(text).expect("toml");
            let e = parse_accounts(&t).expect_err(text);
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn account_profile_flags() {
        assert_eq!(
            parse_account_profile("111122223333=prod").expect("ok"),
            ("111122223333".into(), AccountRoute::Profile("prod".into()))
        );
        assert!(parse_account_profile("111122223333").is_err());
        assert!(parse_account_profile("abc=prod").is_err());
        assert!(parse_account_profile("111122223333=").is_err());
        let m = unmapped_message("444455556666", Some("111122223333"));
        assert!(m.contains("--account-profile 444455556666=PROFILE"), "{m}");
        assert!(m.contains("act in account 111122223333"), "{m}");
    }
}
