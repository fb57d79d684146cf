//! Screen geometry, shared by the views (where to draw) and `update` (page sizes, mouse hits).

use ratatui::layout::Rect;

/// Below this the TUI shows "terminal too small" instead of panes.
pub const MIN_WIDTH: u16 = 60;
/// Below this the TUI shows "terminal too small" instead of panes.
pub const MIN_HEIGHT: u16 = 16;

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Two header lines.
    pub header: Rect,
    /// The list pane, border included.
    pub list: Rect,
    /// The detail pane, border included.
    pub detail: Rect,
    /// The status bar (one line).
    pub status: Rect,
}

/// True when the terminal is too small to use.
pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// The areas for a terminal of `width` x `height` (at least the minimum).
pub fn areas(width: u16, height: u16) -> Areas {
    areas_for(width, height, false)
}

/// The areas, with the detail pane zoomed to the whole body (`z`) or not.
pub fn areas_for(width: u16, height: u16, zoom: bool) -> Areas {
    let body = height.saturating_sub(3);
    if zoom {
        return Areas {
            header: Rect::new(0, 0, width, 2.min(height)),
            list: Rect::new(0, 2, width, 0),
            detail: Rect::new(0, 2, width, body),
            status: Rect::new(0, height.saturating_sub(1), width, 1),
        };
    }
    // The list gets ~40% (at least 5 rows inside), the detail the rest.
    let list_h = (body * 2 / 5).max(7).min(body);
    Areas {
        header: Rect::new(0, 0, width, 2.min(height)),
        list: Rect::new(0, 2, width, list_h),
        detail: Rect::new(0, 2 + list_h, width, body - list_h),
        status: Rect::new(0, height.saturating_sub(1), width, 1),
    }
}

/// Rows of items visible in the list pane (below its column headers).
pub fn list_rows(width: u16, height: u16) -> usize {
    areas(width, height).list.height.saturating_sub(3) as usize
}

/// The inside of a bordered pane.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// Rows of the detail pane's scrolling body (below the pinned headline and column labels).
pub fn detail_rows(width: u16, height: u16) -> usize {
    detail_rows_for(width, height, false)
}

/// [`detail_rows`], zoomed or not.
pub fn detail_rows_for(width: u16, height: u16, zoom: bool) -> usize {
    (inner(areas_for(width, height, zoom).detail).height as usize)
        .saturating_sub(crate::tui::views::detail::PINNED)
}

/// A centred rectangle of at most `w` x `h` inside `r`.
pub fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect::new(r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_fill_the_screen_at_80x24() {
        let a = areas(80, 24);
        assert_eq!(
            a.header.height + a.list.height + a.detail.height + a.status.height,
            24
        );
        assert!(list_rows(80, 24) >= 5);
        assert!(detail_rows(80, 24) >= 8);
        assert!(too_small(59, 24) && too_small(80, 15) && !too_small(80, 24));
    }
}
