//! Who is deciding: `--actor`, else `DRIFTDECK_ACTOR`, else git `user.email`, else the OS
//! user; plus, optionally, the AWS caller identity.
//!
//! The AWS identity is asked of the `aws` CLI (`aws sts get-caller-identity`) with a hard
//! 3-second limit, only when credentials look configured: the SDK's STS crate would be a heavy
//! new dependency for one optional field. When the CLI is missing or slow, the field stays empty.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The person (and cloud principal) recorded with a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Name or e-mail.
    pub name: String,
    /// Where the name came from: `flag`, `env`, `git`, `os`.
    pub source: String,
    /// AWS caller identity ARN, when credentials were available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_identity: Option<String>,
}

/// Resolves the actor. `flag` is `--actor`; `dir` is where git is asked for `user.email`.
pub fn resolve(flag: Option<&str>, dir: &Path, with_aws: bool) -> Actor {
    let (name, source) = if let Some(f) = flag.map(str::trim).filter(|f| !f.is_empty()) {
        (f.to_string(), "flag")
    } else if let Some(e) = std::env::var("DRIFTDECK_ACTOR")
        .ok()
        .filter(|e| !e.trim().is_empty())
    {
        (e.trim().to_string(), "env")
    } else if let Some(g) = git_email(dir) {
        (g, "git")
    } else {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_string());
        (user, "os")
    };
    Actor {
        name,
        source: source.to_string(),
        aws_identity: if with_aws { aws_caller_identity() } else { None },
    }
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Option<String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    return None;
                }
                let mut out = String::new();
                std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
                return Some(out);
            }
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn git_email(dir: &Path) -> Option<String> {
    let mut cmd = Command::new("git");
    cmd.args(["config", "user.email"]);
    if dir.is_dir() {
        cmd.current_dir(dir);
    }
    run_with_timeout(cmd, Duration::from_secs(2))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn aws_credentials_configured() -> bool {
    let env = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    env("AWS_ACCESS_KEY_ID")
        || env("AWS_PROFILE")
        || env("AWS_WEB_IDENTITY_TOKEN_FILE")
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || std::env::var_os("HOME").is_some_and(|h| Path::new(&h).join(".aws").join("credentials").is_file())
}

/// The AWS caller identity ARN via the `aws` CLI (3 s limit), when credentials are configured.
pub fn aws_caller_identity() -> Option<String> {
    if !aws_credentials_configured() {
        return None;
    }
    let mut cmd = Command::new("aws");
    cmd.args(["sts", "get-caller-identity", "--output", "json"]);
    let out = run_with_timeout(cmd, Duration::from_secs(3))?;
    let v: serde_json::Value = serde_json::from_str(&out).ok()?;
    v.get("Arn").and_then(|a| a.as_str()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins() {
        let a = resolve(Some(" alice@example.com "), Path::new("."), false);
        assert_eq!(a.name, "alice@example.com");
        assert_eq!(a.source, "flag");
        assert!(a.aws_identity.is_none());
    }
}
