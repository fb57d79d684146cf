//! Getting text out of the TUI: the clipboard through the terminal (OSC 52, which works over
//! SSH and in tmux with `set-clipboard on`) and the system opener for links. The sequences are
//! built here as plain strings; the event loop writes them.

/// Standard base64 (RFC 4648) of `bytes`, as OSC 52 wants it.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The OSC 52 sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Whether the terminal can be asked to set the clipboard (OSC 52): not on the Linux console,
/// a dumb terminal, or without a `TERM` at all.
pub fn osc52_supported(term: Option<&str>) -> bool {
    match term {
        None => false,
        Some(t) => !matches!(t, "" | "dumb" | "linux"),
    }
}

/// The command that opens a URL: `$BROWSER` when set, else `open` on macOS, else `xdg-open`.
pub fn opener(browser: Option<&str>) -> String {
    match browser.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => b.to_string(),
        None if cfg!(target_os = "macos") => "open".into(),
        None => "xdg-open".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn terminals_without_osc52_and_openers() {
        assert!(!osc52_supported(None) && !osc52_supported(Some("dumb")));
        assert!(osc52_supported(Some("xterm-256color")));
        assert_eq!(opener(Some("firefox")), "firefox");
        assert!(!opener(None).is_empty());
    }
}
