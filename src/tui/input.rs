//! Reusable interactive pieces of overlays, as state plus key handling (the views draw them):
//! a single-line text input and a scrollable text. The filter prompt uses the input; help and
//! future previews (adoption diff, command output) use the scrollable text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to a [`TextInput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOutcome {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// Enter: accept.
    Submit,
    /// Esc: cancel.
    Cancel,
    /// Not an editing key.
    Ignored,
}

/// A single-line text input with a cursor (a byte offset on a char boundary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    /// The text.
    pub text: String,
    /// Cursor position, a byte offset into `text`.
    pub cursor: usize,
    /// The whole text is selected: the next character replaces it, Backspace clears it, a
    /// cursor key keeps it (the filter prompt opens like this on the current filter).
    pub selected: bool,
}

impl TextInput {
    /// An input holding `text`, cursor at the end.
    pub fn new(text: &str) -> Self {
        TextInput {
            text: text.to_string(),
            cursor: text.len(),
            selected: false,
        }
    }

    /// An input holding `text`, all of it selected (typing replaces it).
    pub fn selected(text: &str) -> Self {
        TextInput {
            selected: !text.is_empty(),
            ..TextInput::new(text)
        }
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// Applies an editing key: characters, Backspace, Delete, ←/→, Home/End, Ctrl-U (clear to
    /// start), Ctrl-W (delete word), Enter, Esc.
    pub fn handle_key(&mut self, key: &KeyEvent) -> InputOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if std::mem::take(&mut self.selected) {
            match key.code {
                KeyCode::Char(c) if !ctrl && !c.is_control() => {
                    self.text = c.to_string();
                    self.cursor = self.text.len();
                    return InputOutcome::Changed;
                }
                KeyCode::Backspace | KeyCode::Delete => {
                    self.text.clear();
                    self.cursor = 0;
                    return InputOutcome::Changed;
                }
                _ => {}
            }
        }
        match key.code {
            KeyCode::Enter => InputOutcome::Submit,
            KeyCode::Esc => InputOutcome::Cancel,
            KeyCode::Char('u') if ctrl => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
                InputOutcome::Changed
            }
            KeyCode::Char('w') if ctrl => {
                let before = &self.text[..self.cursor];
                let trimmed = before.trim_end();
                let start = trimmed.rfind(char::is_whitespace).map_or(0, |i| i + 1);
                self.text.drain(start..self.cursor);
                self.cursor = start;
                InputOutcome::Changed
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                InputOutcome::Moved
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = self.text.len();
                InputOutcome::Moved
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                self.text.insert(self.cursor, c);
                self.cursor += c.len_utf8();
                InputOutcome::Changed
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let p = self.prev_boundary();
                self.text.drain(p..self.cursor);
                self.cursor = p;
                InputOutcome::Changed
            }
            KeyCode::Delete if self.cursor < self.text.len() => {
                let n = self.next_boundary();
                self.text.drain(self.cursor..n);
                InputOutcome::Changed
            }
            KeyCode::Left => {
                self.cursor = self.prev_boundary();
                InputOutcome::Moved
            }
            KeyCode::Right => {
                self.cursor = self.next_boundary();
                InputOutcome::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                InputOutcome::Moved
            }
            KeyCode::End => {
                self.cursor = self.text.len();
                InputOutcome::Moved
            }
            KeyCode::Backspace | KeyCode::Delete => InputOutcome::Moved,
            _ => InputOutcome::Ignored,
        }
    }
}

/// A titled, scrollable block of text lines (help, previews, command output).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextOverlay {
    /// Title shown in the border.
    pub title: String,
    /// The lines, already sanitized by whoever made them.
    pub lines: Vec<String>,
    /// First line shown.
    pub scroll: usize,
    /// Keep the view at the end as lines are appended (command output).
    pub follow: bool,
}

impl TextOverlay {
    /// A new overlay at the top.
    pub fn new(title: impl Into<String>, lines: Vec<String>) -> Self {
        TextOverlay {
            title: title.into(),
            lines,
            scroll: 0,
            follow: false,
        }
    }

    /// Appends a line (sanitized here), following the end when `follow` is set.
    pub fn push_line(&mut self, line: &str, page: usize) {
        self.lines.push(crate::text::sanitize(line).into_owned());
        if self.follow {
            self.scroll = self.lines.len().saturating_sub(page);
        }
    }

    /// Scrolls by `delta` lines within a view of `page` lines.
    pub fn scroll_by(&mut self, delta: isize, page: usize) {
        let max = self.lines.len().saturating_sub(page);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
        self.follow = self.scroll == max && delta > 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn editing_keeps_the_cursor_on_char_boundaries() {
        let mut i = TextInput::new("sév");
        assert_eq!(i.handle_key(&k(KeyCode::Left)), InputOutcome::Moved);
        assert_eq!(i.handle_key(&k(KeyCode::Backspace)), InputOutcome::Changed);
        assert_eq!(i.text, "sv");
        i.handle_key(&k(KeyCode::Char('>')));
        assert_eq!(i.text, "s>v");
        i.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(i.text, "v");
        assert_eq!(i.handle_key(&k(KeyCode::Esc)), InputOutcome::Cancel);
        assert_eq!(i.handle_key(&k(KeyCode::Enter)), InputOutcome::Submit);
    }

    #[test]
    fn overlay_scroll_is_bounded() {
        let mut o = TextOverlay::new("t", (0..10).map(|i| i.to_string()).collect());
        o.scroll_by(100, 4);
        assert_eq!(o.scroll, 6);
        o.scroll_by(-100, 4);
        assert_eq!(o.scroll, 0);
        o.follow = true;
        o.push_line("x\u{1b}", 4);
        assert_eq!(o.scroll, 7);
        assert_eq!(o.lines[10], "x\\u{1b}");
    }
}
