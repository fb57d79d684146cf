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

/// Where `url` is shown on a screen of `rows` (one string per row, one char per cell): the
/// (column, row, text) pieces, following it across wrapped rows (a continuation starts where the
/// first piece did). Empty when it is not shown whole.
pub fn link_segments(rows: &[Vec<char>], url: &str) -> Vec<(u16, u16, String)> {
    let want: Vec<char> = url.chars().collect();
    let Some(&first) = want.first() else {
        return Vec::new();
    };
    for (y, row) in rows.iter().enumerate() {
        for x in 0..row.len() {
            // The start: at least the scheme (or the whole link) in a row.
            let lead = row[x..].iter().zip(&want).take_while(|(a, b)| a == b).count();
            if row[x] != first || lead < want.len().min(8) {
                continue;
            }
            let mut out = Vec::new();
            let mut got = 0;
            let (mut cx, mut cy) = (x, y);
            while got < want.len() && cy < rows.len() {
                let r = &rows[cy];
                let n = r[cx.min(r.len())..]
                    .iter()
                    .zip(&want[got..])
                    .take_while(|(a, b)| a == b)
                    .count();
                if n == 0 {
                    break;
                }
                out.push((
                    u16::try_from(cx).unwrap_or(u16::MAX),
                    u16::try_from(cy).unwrap_or(u16::MAX),
                    want[got..got + n].iter().collect(),
                ));
                got += n;
                cy += 1;
                cx = x;
            }
            if got == want.len() {
                return out;
            }
        }
    }
    Vec::new()
}

/// The bytes that make the pieces of a link shown on screen an OSC 8 hyperlink: each piece is
/// rewritten in place inside the hyperlink sequence, the cursor saved and restored around it.
/// `styled(x, y, text)` gives the text with the SGR sequences of the cells it is drawn over, so
/// the rewrite keeps the link's colours and underline.
pub fn osc8(url: &str, segments: &[(u16, u16, String)], styled: impl Fn(u16, u16, &str) -> String) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (x, y, text) in segments {
        let _ = write!(
            out,
            "\x1b7\x1b[{};{}H\x1b]8;;{url}\x1b\\{}\x1b]8;;\x1b\\\x1b8",
            y + 1,
            x + 1,
            styled(*x, *y, text)
        );
    }
    out
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
    fn a_wrapped_link_is_found_in_pieces() {
        let rows: Vec<Vec<char>> = [
            "│link        https://eu-west-1.console.aws│",
            "│            .amazon.com/x#/events/abc    │",
            "│other                                    │",
        ]
        .iter()
        .map(|r| r.chars().collect())
        .collect();
        let url = "https://eu-west-1.console.aws.amazon.com/x#/events/abc";
        let segs = link_segments(&rows, url);
        assert_eq!(
            segs,
            vec![
                (13, 0, "https://eu-west-1.console.aws".to_string()),
                (13, 1, ".amazon.com/x#/events/abc".to_string()),
            ]
        );
        let bytes = osc8(url, &segs, |_, _, t| format!("<{t}>"));
        assert!(bytes.starts_with("\x1b7\x1b[1;14H\x1b]8;;https://"));
        assert!(
            bytes.contains("\x1b\\<https://eu-west-1.console.aws>\x1b]8;;\x1b\\"),
            "{bytes:?}"
        );
        assert!(link_segments(&rows, "https://elsewhere.example").is_empty());
    }

    #[test]
    fn terminals_without_osc52_and_openers() {
        assert!(!osc52_supported(None) && !osc52_supported(Some("dumb")));
        assert!(osc52_supported(Some("xterm-256color")));
        assert_eq!(opener(Some("firefox")), "firefox");
        assert!(!opener(None).is_empty());
    }
}
