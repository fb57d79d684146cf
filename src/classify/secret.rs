//! Which attributes hold secrets, by name and by value. driftctl and CloudFormation carry no
//! sensitivity marks, and Terraform's masks miss secrets stored in ordinary attributes (an
//! `API_TOKEN` environment variable), so names decide too; and where names say nothing, values
//! do: private-key blocks of every kind, URLs carrying credentials or signatures, well-known
//! token shapes, and random-looking strings in places secrets live (environment variables,
//! policy conditions). The matcher also holds the key that fingerprints secrets (see
//! [`FingerprintKey`]).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use aho_corasick::AhoCorasick;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::NameAnswers;
use super::glob::Globs;

use crate::model::{AttrPath, Step};

/// The `[secrets]` table of a taxonomy file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    /// Globs over attribute names and map keys (case-insensitive): `*password*`.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Globs that win over `keys`: `*_arn`, `*password_length*`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Substrings that make any string value secret (`-----BEGIN`).
    #[serde(default)]
    pub value_markers: Vec<String>,
    /// With `true` in a user file, replaces the defaults instead of extending them.
    #[serde(default)]
    pub replace: bool,
}

/// The key secrets are fingerprinted with (HMAC-SHA-256), so a fingerprint in a committed
/// approvals file cannot be checked against a dictionary of likely passwords by anyone without
/// the key. One per repository, kept in `.driftdeck/` (see
/// [`decide::secret_key`](crate::decide::secret_key)); a process without one uses a random key of
/// its own, whose fingerprints match nothing written before.
#[derive(Clone)]
pub struct FingerprintKey(Arc<Keyed>);

/// A key's bytes and the HMAC keyed with them, the domain prefix already given: each
/// fingerprint starts from a copy of it instead of working out the keyed state again (two of the
/// five SHA-256 blocks of a typical fingerprint).
#[derive(Clone)]
struct Keyed {
    bytes: [u8; 32],
    mac: Option<Hmac<Sha256>>,
}

impl FingerprintKey {
    /// Wraps 32 key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // HMAC takes keys of any length: `None` cannot happen.
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&bytes)
            .ok()
            .map(|mut mac| {
                mac.update(b"driftdeck-fingerprint-v2");
                mac
            });
        FingerprintKey(Arc::new(Keyed { bytes, mac }))
    }

    /// A fresh random key (never stored by this call).
    pub fn random() -> Result<Self, String> {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|e| format!("cannot get random bytes for a key: {e}"))?;
        Ok(FingerprintKey::from_bytes(b))
    }

    /// The key bytes (to store them).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0.bytes
    }

    /// The keyed fingerprint of `parts`, each length-prefixed so no two part lists collide.
    pub fn fingerprint(&self, parts: &[&[u8]]) -> String {
        let Some(mut mac) = self.0.mac.clone() else {
            return "hmac-sha256:unavailable".to_string();
        };
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        format!("hmac-sha256:{}", hex::encode(&mac.finalize().into_bytes()[..16]))
    }
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself.
        f.write_str("FingerprintKey(..)")
    }
}

/// Compiled secret rules.
#[derive(Debug, Clone)]
pub struct SecretMatcher {
    keys: Globs,
    exclude: Globs,
    /// The configured value markers, found in one scan of a value (they were a substring search
    /// each, six per string value of every change); `None` when there are none.
    value_markers: Option<AhoCorasick>,
    key: FingerprintKey,
    /// Which compiled rule set this is, for the per-thread cache of key answers.
    generation: u64,
}

/// A fresh [`SecretMatcher::generation`].
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// Answers of [`SecretMatcher::is_secret_key`] on this thread, for the matcher of the
    /// generation held beside them.
    static KEY_CACHE: RefCell<(u64, NameAnswers)> = RefCell::new((0, NameAnswers::default()));
}

/// Names of places where a random-looking value is taken for a secret: environment variables,
/// app settings, parameters and IAM policy conditions (`sts:ExternalId`, `aws:Referer` values).
const SECRET_CONTEXTS: &[&str] = &[
    "environment",
    "env",
    "variables",
    "environment_variables",
    "app_settings",
    "settings",
    "parameters",
    "secrets",
    "condition",
];

/// Condition keys whose values act as shared secrets.
const SECRET_CONDITION_KEYS: &[&str] = &["sts:externalid", "aws:referer", "aws:useragent"];

/// Prefixes of well-known credential formats (GitHub, GitLab, Slack, Stripe, Google, OpenAI,
/// Anthropic, npm, SendGrid): a value starting with one is a secret whatever its name.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "sk_live_",
    "rk_live_",
    "sk_test_",
    "AIza",
    "sk-ant-",
    "sk-proj-",
    "npm_",
    "SG.",
];

/// Query parameters that carry credentials or signatures (Azure SAS `sig`, S3 presigned URLs,
/// OAuth tokens, API keys).
const SECRET_QUERY_PARAMS: &[&str] = &[
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-security-token",
    "x-amz-credential",
    "x-goog-signature",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "pwd",
    "pass",
    "secret",
    "client_secret",
    "auth",
    "code",
];

/// Hosts and paths where the URL itself is the credential (incoming webhooks).
const WEBHOOK_MARKERS: &[&str] = &[
    "hooks.slack.com/",
    "discord.com/api/webhooks/",
    "discordapp.com/api/webhooks/",
    "webhook.office.com/",
    "outlook.office.com/webhook",
    "chat.googleapis.com/v1/spaces/",
    "events.pagerduty.com/integration/",
];

impl SecretMatcher {
    /// Compiles a spec (with a random fingerprint key until [`SecretMatcher::set_key`]).
    pub fn new(spec: &SecretSpec) -> Result<Self, String> {
        Ok(SecretMatcher {
            keys: Globs::new(&spec.keys, "secret key")?,
            exclude: Globs::new(&spec.exclude, "secret exclude")?,
            value_markers: if spec.value_markers.is_empty() {
                None
            } else {
                Some(
                    AhoCorasick::new(&spec.value_markers)
                        .map_err(|e| format!("secret value markers: {e}"))?,
                )
            },
            key: FingerprintKey::random()?,
            generation: next_generation(),
        })
    }

    /// A matcher that matches no name and no configured marker (for tests of the mask
    /// mechanism alone); the built-in value shapes still apply.
    pub fn none() -> Self {
        SecretMatcher {
            keys: Globs::empty(),
            exclude: Globs::empty(),
            value_markers: None,
            key: FingerprintKey::from_bytes([0; 32]),
            generation: next_generation(),
        }
    }

    /// Uses `key` for fingerprints from now on (the repository's key).
    pub fn set_key(&mut self, key: FingerprintKey) {
        self.key = key;
    }

    /// The keyed fingerprint of a secret's plaintext at `path` of `address`: lets an approval
    /// notice that a secret changed again without storing it. The address and path go in so
    /// equal secrets on different resources do not share a fingerprint.
    pub fn fingerprint(&self, address: &str, path: &AttrPath, plaintext: &Value) -> String {
        let canonical = crate::model::compare::canonical(plaintext);
        self.key.fingerprint(&[
            address.as_bytes(),
            path.to_string().as_bytes(),
            canonical.as_bytes(),
        ])
    }

    /// True when an attribute or map key of this name holds a secret.
    pub fn is_secret_key(&self, key: &str) -> bool {
        // Glob matching every attribute name of every change was a tenth of a drift-dense
        // load; the names repeat, so each thread remembers its answers.
        KEY_CACHE.with(|cache| {
            let Ok(mut cache) = cache.try_borrow_mut() else {
                return self.match_key(key);
            };
            let (generation, answers) = &mut *cache;
            if *generation != self.generation {
                *generation = self.generation;
                answers.clear();
            }
            answers.answer(key, |k| self.match_key(k))
        })
    }

    fn match_key(&self, key: &str) -> bool {
        self.keys.is_match(key) && !self.exclude.is_match(key)
    }

    /// True when any named step of the path is a secret key, or the path is a value of an IAM
    /// policy condition key that works as a shared secret.
    pub fn is_secret_path(&self, path: &AttrPath) -> bool {
        self.path_state(path).secret
    }

    /// What the rules say about `path`, to be extended one key at a time with
    /// [`PathState::key`] while walking a value (no path is built per node).
    pub fn path_state(&self, path: &AttrPath) -> PathState {
        path.0.iter().fold(PathState::default(), |st, s| match s {
            Step::Key(k) => st.key(k, self),
            Step::Index(_) => st,
        })
    }

    /// True when a string value is a secret whatever its name: a configured marker, a private
    /// key block of any kind, a URL with credentials, a signature or a webhook secret in it, or a
    /// well-known token format.
    pub fn is_secret_value(&self, s: &str) -> bool {
        self.value_markers.as_ref().is_some_and(|m| m.is_match(s)) || is_secret_shaped(s)
    }

    /// True when `path` lies in a place secrets live (environment variables, settings,
    /// policy conditions), where a random-looking value is taken for one.
    pub fn is_secret_context(path: &AttrPath) -> bool {
        path.0.iter().any(|s| match s {
            Step::Key(k) => is_context_key(k),
            Step::Index(_) => false,
        })
    }
}

fn is_context_key(k: &str) -> bool {
    SECRET_CONTEXTS.iter().any(|c| k.eq_ignore_ascii_case(c))
}

/// What the secret rules say about a path, built one step at a time: the single definition
/// behind [`SecretMatcher::is_secret_path`] and [`SecretMatcher::is_secret_context`] for the
/// walks that extend a path node by node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathState {
    /// A named step is a secret key, or a shared-secret condition key under `condition`.
    pub secret: bool,
    /// A named step is a place secrets live ([`SecretMatcher::is_secret_context`]).
    pub context: bool,
    /// A step so far is `condition` (an IAM policy condition block).
    in_condition: bool,
}

impl PathState {
    /// The state one key further down. (A list index changes nothing.)
    #[must_use]
    pub fn key(self, k: &str, matcher: &SecretMatcher) -> PathState {
        let secret = self.secret
            || matcher.is_secret_key(k)
            || (self.in_condition && SECRET_CONDITION_KEYS.iter().any(|c| k.eq_ignore_ascii_case(c)));
        PathState {
            secret,
            context: self.context || is_context_key(k),
            in_condition: self.in_condition || k.eq_ignore_ascii_case("condition"),
        }
    }
}

/// True when a string has the shape of a secret by the built-in rules alone (a private-key
/// block, a URL with credentials or a signature, a webhook address, a well-known token).
pub fn is_secret_shaped(s: &str) -> bool {
    // Each rule below needs one of these literals, so a value holding none of them (almost
    // every value) is answered by one scan instead of a substring search per literal.
    static NEEDLES: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        let needles = ["PuTTY-User-Key-File-", "BEGIN ", "://"]
            .iter()
            .chain(WEBHOOK_MARKERS)
            .chain(TOKEN_PREFIXES);
        AhoCorasick::new(needles).ok()
    });
    if NEEDLES.as_ref().is_some_and(|n| !n.is_match(s)) {
        return false;
    }
    has_private_key_block(s) || url_carries_secret(s) || has_token_prefix(s)
}

/// A PEM (or PuTTY / SSH2) private-key block of any algorithm: `-----BEGIN … PRIVATE KEY`,
/// `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`, `PGP PRIVATE KEY BLOCK`.
fn has_private_key_block(s: &str) -> bool {
    if s.contains("PuTTY-User-Key-File-") {
        return true;
    }
    let mut rest = s;
    while let Some(p) = rest.find("BEGIN ") {
        let after = &rest[p + 6..];
        let line = after.split(['\n', '\r']).next().unwrap_or_default();
        let mut cut = line.len().min(80);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let header = &line[..cut];
        if header.to_ascii_uppercase().contains("PRIVATE KEY") && rest[..p].trim_end().ends_with('-') {
            return true;
        }
        rest = after;
    }
    false
}

/// A URL with a user-info part (`https://user:pass@host`, `https://TOKEN@host`), a query
/// parameter that carries a credential or signature (Azure SAS `sig=`, `X-Amz-Signature=`,
/// `access_token=`), or an incoming-webhook address.
fn url_carries_secret(s: &str) -> bool {
    if WEBHOOK_MARKERS.iter().any(|m| s.contains(m)) {
        return true;
    }
    let mut rest = s;
    while let Some(p) = rest.find("://") {
        let after = &rest[p + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>')
            .unwrap_or(after.len());
        let url = &after[..end];
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let authority = &url[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if userinfo.contains(':') || userinfo.len() >= 20 {
                return true;
            }
        }
        if let Some(q) = url.find('?') {
            let query = url[q + 1..].split('#').next().unwrap_or_default();
            let secret_param = query.split(['&', ';']).any(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                !value.is_empty() && SECRET_QUERY_PARAMS.iter().any(|n| name.eq_ignore_ascii_case(n))
            });
            if secret_param {
                return true;
            }
        }
        rest = after;
    }
    false
}

/// A well-known token format: one of [`TOKEN_PREFIXES`] at the start of a word, followed by at
/// least 16 token characters.
fn has_token_prefix(s: &str) -> bool {
    TOKEN_PREFIXES.iter().any(|prefix| {
        s.match_indices(prefix).any(|(i, _)| {
            let word_start = s[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'));
            let tail = s[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .count();
            word_start && tail >= 16
        })
    })
}

/// True for a string that looks machine-generated: 20+ characters of a key alphabet with upper
/// case, lower case and digits mixed and high Shannon entropy, or 32+ hex digits that are not a
/// UUID. Only used where secrets live ([`SecretMatcher::is_secret_context`]).
pub fn looks_random(s: &str) -> bool {
    let n = s.chars().count();
    if !(20..=8192).contains(&n) {
        return false;
    }
    let alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.');
    if !s.chars().all(alphabet) {
        return false;
    }
    let hex = s.chars().all(|c| c.is_ascii_hexdigit());
    let uuid = n == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if uuid {
        return false;
    }
    if hex {
        return n >= 32;
    }
    let (lower, upper, digit) = (
        s.chars().any(|c| c.is_ascii_lowercase()),
        s.chars().any(|c| c.is_ascii_uppercase()),
        s.chars().any(|c| c.is_ascii_digit()),
    );
    lower && upper && digit && entropy(s) >= 3.5
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut n = 0u32;
    for b in s.bytes().filter(u8::is_ascii) {
        counts[usize::from(b)] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzzer: a `BEGIN ` line whose 80th byte falls inside a multi-byte character
    /// panicked while cutting the header.
    #[test]
    fn a_long_begin_line_with_multibyte_text_is_not_a_panic() {
        // The 80-byte cut falls inside `ͽ` (bytes 79..81 of the header) in both.
        let key = format!("-----BEGIN RSA PRIVATE KEY{}ͽ-----", "x".repeat(64));
        assert!(is_secret_shaped(&key));
        let not_key = format!("-----BEGIN {}ͽ PRIVATE KEY-----", "B".repeat(79));
        assert!(
            !is_secret_shaped(&not_key),
            "PRIVATE KEY past the header is not a key block"
        );
    }

    #[test]
    fn private_keys_of_every_kind() {
        for k in [
            "-----BEGIN RSA PRIVATE KEY-----\nMII",
            "-----BEGIN DSA PRIVATE KEY-----\nMIIBuw",
            "-----BEGIN EC PRIVATE KEY-----\nMHcC",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF",
            "-----BEGIN PRIVATE KEY-----\nMC4C",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ",
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nP2/5",
            "prefix text -----BEGIN ANY NEW ALGO PRIVATE KEY----- tail",
            "PuTTY-User-Key-File-3: ssh-ed25519",
        ] {
            assert!(SecretMatcher::none().is_secret_value(k), "{k}");
        }
        for k in [
            "-----BEGIN CERTIFICATE-----\nMII",
            "-----BEGIN PUBLIC KEY-----\nMII",
            "BEGIN PRIVATE KEY rotation at noon",
        ] {
            assert!(!SecretMatcher::none().is_secret_value(k), "{k}");
        }
    }

    #[test]
    fn urls_with_credentials_signatures_or_webhooks() {
        let m = SecretMatcher::none();
        for u in [
            "postgres://app:hunter2@db.internal:5432/app",
            "https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/org/repo.git",
            "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31&sig=AbC%2Bdef",
            "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Signature=abcdef0123",
            "https://api.example.com/v1?access_token=abc123",
            "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
            "see https://discord.com/api/webhooks/1/abc",
        ] {
            assert!(m.is_secret_value(u), "{u}");
        }
        for u in [
            "https://example.com/path?page=2",
            "ssh://git@github.com/org/repo.git",
            "https://registry.terraform.io/hashicorp/aws",
            "arn:aws:iam::123456789012:role/x",
        ] {
            assert!(!m.is_secret_value(u), "{u}");
        }
    }

    #[test]
    fn token_formats_and_random_values() {
        let m = SecretMatcher::none();
        assert!(m.is_secret_value("ghp_0123456789abcdefghijABCDEFGHIJ"));
        assert!(m.is_secret_value("Bearer xoxb-123456789012-abcdefghijkl"));
        assert!(!m.is_secret_value("the sk_live_ prefix is documented"));
        assert!(looks_random("q8Zt3vW9pL2mX7rB4nK6jH1s"));
        assert!(looks_random("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"));
        for no in [
            "production-eu-west-1-cluster-2024",
            "123e4567-e89b-12d3-a456-426614174000",
            "short1A",
            "arn:aws:iam::123456789012:role/app",
            "my_application_name_prod",
        ] {
            assert!(!looks_random(no), "{no}");
        }
    }

    #[test]
    fn condition_keys_that_are_shared_secrets() {
        let m = SecretMatcher::none();
        let p = AttrPath::keys(["Statement", "Condition", "StringEquals", "sts:ExternalId"]);
        assert!(m.is_secret_path(&p));
        assert!(!m.is_secret_path(&AttrPath::keys([
            "Statement",
            "Condition",
            "StringEquals",
            "aws:SourceVpc"
        ])));
        assert!(SecretMatcher::is_secret_context(&p));
    }

    #[test]
    fn fingerprints_are_keyed() {
        let v = serde_json::json!("hunter2");
        let p = AttrPath::keys(["password"]);
        let mut a = SecretMatcher::none();
        let b = SecretMatcher::none();
        assert_eq!(a.fingerprint("x.y", &p, &v), b.fingerprint("x.y", &p, &v));
        a.set_key(FingerprintKey::from_bytes([7; 32]));
        let fa = a.fingerprint("x.y", &p, &v);
        assert_ne!(fa, b.fingerprint("x.y", &p, &v));
        assert!(fa.starts_with("hmac-sha256:") && !fa.contains("hunter2"));
        assert_ne!(fa, a.fingerprint("x.z", &p, &v));
        assert!(!format!("{a:?}").contains("7, 7"));
    }

    /// A fingerprint is HMAC-SHA-256 over the domain prefix and the length-prefixed parts, cut to
    /// 16 bytes (value worked out apart, with Python's hmac): approvals files written before keep
    /// matching whatever way the keyed state is reached.
    #[test]
    fn a_fingerprint_is_the_documented_hmac() {
        let key = FingerprintKey::from_bytes([7; 32]);
        assert_eq!(
            key.fingerprint(&[b"aws_db_instance.main", b"password", b"\"hunter2\""]),
            "hmac-sha256:2201ff26b3ffbcf51dcbd98c9b902220"
        );
        assert_eq!(
            key.fingerprint(&[b"a"]),
            key.clone().fingerprint(&[b"a"]),
            "a key gives the same fingerprint every time"
        );
        assert_ne!(key.fingerprint(&[b"a", b"b"]), key.fingerprint(&[b"ab"]));
    }
}
