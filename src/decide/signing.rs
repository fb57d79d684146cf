//! SSH signatures over journal entries: the `ssh-keygen -Y sign` format (SSHSIG, PEM armour,
//! namespace [`NAMESPACE`], SHA-512) over each entry's hash, made and checked with the
//! `ssh-key` crate. An auditor can check any entry with `ssh-keygen -Y verify` alone; driftdeck
//! checks them against an `allowed_signers` file the way `git` does for SSH-signed commits.

use std::path::{Path, PathBuf};

use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};
use time::OffsetDateTime;

/// The SSHSIG namespace of journal signatures (`ssh-keygen -Y verify -n driftdeck-journal`).
pub const NAMESPACE: &str = "driftdeck-journal";

/// Errors of signing and of reading keys and allowed-signers files.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The private key could not be read.
    #[error("{path}: cannot read the journal signing key: {message}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The key is passphrase-protected.
    #[error(
        "{0}: the journal signing key is passphrase-protected; driftdeck cannot prompt for it. Use an unencrypted key kept for journal signing (ssh-keygen -t ed25519 -N '' -f FILE)"
    )]
    Encrypted(PathBuf),
    /// Signing failed.
    #[error("cannot sign the journal entry with {path}: {message}")]
    Sign {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A bad allowed-signers file.
    #[error("{path}:{line}: {message}")]
    AllowedSigners {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Expands a leading `~/` to the home directory (config files say `~/.ssh/id_ed25519`).
pub fn expand_home(path: &Path) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path.to_path_buf();
    };
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(rest),
        None => path.to_path_buf(),
    }
}

/// A loaded signing key.
#[derive(Clone)]
pub struct Signer {
    key: PrivateKey,
    path: PathBuf,
}

impl std::fmt::Debug for Signer {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("path", &self.path)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads an OpenSSH private key (`~` expanded). Passphrase-protected keys are refused.
    pub fn load(path: &Path) -> Result<Signer, SigningError> {
        let path = expand_home(path);
        let key = PrivateKey::read_openssh_file(&path).map_err(|e| SigningError::Key {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if key.is_encrypted() {
            return Err(SigningError::Encrypted(path));
        }
        Ok(Signer { key, path })
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `SHA256:…` fingerprint of the public key.
    pub fn fingerprint(&self) -> String {
        self.key.public_key().fingerprint(HashAlg::Sha256).to_string()
    }

    /// The public key in OpenSSH form (for an allowed-signers line).
    pub fn public_key_openssh(&self) -> String {
        self.key.public_key().to_openssh().unwrap_or_default()
    }

    /// Signs an entry hash: the PEM-armoured SSHSIG (what `ssh-keygen -Y sign` writes).
    pub fn sign(&self, hash: &str) -> Result<String, SigningError> {
        let err = |e: ssh_key::Error| SigningError::Sign {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let sig = self
            .key
            .sign(NAMESPACE, HashAlg::Sha512, hash.as_bytes())
            .map_err(err)?;
        sig.to_pem(LineEnding::LF).map_err(err)
    }
}

/// A signature that verified cryptographically (the key is the one embedded in it).
#[derive(Debug, Clone)]
pub struct CheckedSignature {
    /// The signing key.
    pub public_key: PublicKey,
    /// Its `SHA256:…` fingerprint.
    pub fingerprint: String,
}

/// Checks `pem` is a valid SSHSIG in [`NAMESPACE`] over `hash` by the key it embeds (what
/// `ssh-keygen -Y check-novalidate` does); who that key belongs to is [`AllowedSigners`]' job.
pub fn verify_signature(pem: &str, hash: &str) -> Result<CheckedSignature, String> {
    let sig = SshSig::from_pem(pem).map_err(|e| format!("the signature is not an SSH signature ({e})"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "the signature is for namespace {:?}, not {NAMESPACE}",
            sig.namespace()
        ));
    }
    let public_key = PublicKey::from(sig.public_key().clone());
    let fingerprint = public_key.fingerprint(HashAlg::Sha256).to_string();
    public_key
        .verify(NAMESPACE, hash.as_bytes(), &sig)
        .map_err(|_| format!("the signature by {fingerprint} does not match the entry's hash"))?;
    Ok(CheckedSignature {
        public_key,
        fingerprint,
    })
}

/// The fingerprint of the key that made a signature, without checking it.
pub fn signature_key(pem: &str) -> Option<String> {
    let sig = SshSig::from_pem(pem).ok()?;
    Some(
        PublicKey::from(sig.public_key().clone())
            .fingerprint(HashAlg::Sha256)
            .to_string(),
    )
}

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
struct AllowedSigner {
    principals: Vec<String>,
    namespaces: Option<Vec<String>>,
    valid_after: Option<OffsetDateTime>,
    valid_before: Option<OffsetDateTime>,
    key: PublicKey,
}

/// An `allowed_signers` file in the `ssh-keygen` format (`man ssh-keygen`, ALLOWED SIGNERS):
/// `principals [options] keytype base64-key [comment]`, with the `namespaces`, `valid-after`
/// and `valid-before` options honoured. `cert-authority` lines are not supported and allow
/// nothing (fail closed).
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    signers: Vec<AllowedSigner>,
}

/// Splits on whitespace, keeping double-quoted runs (with their quotes) inside one token.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits a comma list, not inside quotes, and strips the quotes.
fn comma_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn is_key_type(t: &str) -> bool {
    t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-")
}

/// `ssh-keygen`'s time forms: `YYYYMMDD[Z]`, `YYYYMMDDHHMM[Z]`, `YYYYMMDDHHMMSS[Z]` (read as UTC).
fn signer_time(s: &str) -> Option<OffsetDateTime> {
    let t = s.trim_end_matches(['Z', 'z']);
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<u32>().ok());
    let (h, mi, sec) = match t.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        14 => (num(8..10)?, num(10..12)?, num(12..14)?),
        _ => return None,
    };
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)?).ok()?,
        month,
        u8::try_from(num(6..8)?).ok()?,
    )
    .ok()?;
    let tm = time::Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(mi).ok()?,
        u8::try_from(sec).ok()?,
    )
    .ok()?;
    Some(date.with_time(tm).assume_utc())
}

/// `ssh` pattern matching: `*` and `?` wildcards.
fn glob(pattern: &str, s: &str) -> bool {
    fn m(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| m(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && m(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && m(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    m(&p, &s)
}

/// An `ssh` pattern list: any positive match and no negated (`!pat`) match.
fn pattern_list_matches(patterns: &[String], s: &str) -> bool {
    let mut hit = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg, s) {
                return false;
            }
        } else if glob(p, s) {
            hit = true;
        }
    }
    hit
}

impl AllowedSigners {
    /// Reads and parses an allowed-signers file.
    pub fn load(path: &Path) -> Result<Self, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|e| SigningError::AllowedSigners {
            path: path.to_path_buf(),
            line: 0,
            message: format!("cannot read the allowed signers file: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Parses allowed-signers text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, SigningError> {
        let mut signers = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: String| SigningError::AllowedSigners {
                path: path.to_path_buf(),
                line: i + 1,
                message,
            };
            let t = tokens(line);
            let Some(first) = t.first() else { continue };
            let principals = comma_list(first);
            let (options, key_at) = match t.get(1) {
                Some(k) if is_key_type(k) => (None, 1),
                Some(o) => (Some(o.clone()), 2),
                None => return Err(bad("expected `principals [options] keytype key`".into())),
            };
            let (Some(kt), Some(kb)) = (t.get(key_at), t.get(key_at + 1)) else {
                return Err(bad(
                    "expected a key type and a base64 key after the principals".into()
                ));
            };
            let key = PublicKey::from_openssh(&format!("{kt} {kb}"))
                .map_err(|e| bad(format!("not a public key ({e})")))?;
            let mut s = AllowedSigner {
                principals,
                namespaces: None,
                valid_after: None,
                valid_before: None,
                key,
            };
            let mut ca = false;
            for opt in options.as_deref().map(comma_list_top).unwrap_or_default() {
                let (name, value) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
                let value = value.trim_matches('"');
                match name.to_ascii_lowercase().as_str() {
                    "cert-authority" => ca = true,
                    "namespaces" => s.namespaces = Some(value.split(',').map(str::to_string).collect()),
                    "valid-after" => {
                        s.valid_after = Some(signer_time(value).ok_or_else(|| {
                            bad(format!("valid-after {value:?} is not YYYYMMDD[HHMM[SS]][Z]"))
                        })?);
                    }
                    "valid-before" => {
                        s.valid_before = Some(signer_time(value).ok_or_else(|| {
                            bad(format!("valid-before {value:?} is not YYYYMMDD[HHMM[SS]][Z]"))
                        })?);
                    }
                    other => return Err(bad(format!("unknown option {other:?}"))),
                }
            }
            if !ca {
                signers.push(s);
            }
        }
        Ok(AllowedSigners { signers })
    }

    /// The principals allowed to sign journal entries with `key` at `when` (empty: not allowed).
    pub fn principals_for(&self, key: &PublicKey, when: Option<OffsetDateTime>) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.signers {
            if s.key.key_data() != key.key_data() {
                continue;
            }
            if let Some(ns) = &s.namespaces
                && !pattern_list_matches(ns, NAMESPACE)
            {
                continue;
            }
            if s.valid_after.is_some() || s.valid_before.is_some() {
                let Some(t) = when else { continue };
                if s.valid_after.is_some_and(|a| t < a) || s.valid_before.is_some_and(|b| t > b) {
                    continue;
                }
            }
            out.extend(s.principals.iter().cloned());
        }
        out
    }
}

/// Splits an options field on commas outside quotes, keeping the quotes (values hold commas).
fn comma_list_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_times_and_patterns() {
        assert!(signer_time("20260101").is_some());
        assert!(signer_time("202601011230Z").is_some());
        assert!(signer_time("2026-01-01").is_none());
        assert!(pattern_list_matches(
            &["git".into(), "driftdeck-*".into()],
            NAMESPACE
        ));
        assert!(!pattern_list_matches(
            &["*".into(), "!driftdeck-journal".into()],
            NAMESPACE
        ));
        assert_eq!(comma_list("a,\"b,c\""), vec!["a", "b,c"]);
    }
}
