//! Plain-text tables for the terminal output of `casebook actions` and `casebook
//! stats`: columns padded to their widest cell (by display width, so wide
//! characters line up), control characters from records replaced so a title cannot
//! move the cursor or change colours, and CSV rows for spreadsheets.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Replaces control characters (escape sequences, tabs, newlines) with U+FFFD.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Writes `header` and `rows` with two spaces between columns. The last column is
/// not padded, so long titles there do not push the line out with spaces.
pub fn write_aligned(
    out: &mut dyn Write,
    header: &[&str],
    align: &[Align],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let lines: Vec<Vec<String>> = std::iter::once(header)
        .chain(
            rows.iter()
                .map(|row| row.iter().map(|cell| printable(cell)).collect()),
        )
        .collect();
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            lines
                .iter()
                .filter_map(|line| line.get(i))
                .map(|cell| cell.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in &lines {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.width());
            let last = i + 1 == line.len();
            match align.get(i).copied().unwrap_or(Align::Left) {
                Align::Right => {
                    text.extend(std::iter::repeat_n(' ', pad));
                    text.push_str(cell);
                }
                Align::Left => {
                    text.push_str(cell);
                    if !last {
                        text.extend(std::iter::repeat_n(' ', pad));
                    }
                }
            }
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
        let mut out = Vec::new();
        write_aligned(&mut out, header, align, rows).expect("write to a vector");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn columns_line_up_by_display_width() {
        let rows = vec![
            vec!["INC-1".to_string(), "3".to_string(), "short".to_string()],
            vec![
                "INC-10".to_string(),
                "12".to_string(),
                "日本語 title".to_string(),
            ],
        ];
        let text = render(
            &["ID", "N", "TITLE"],
            &[Align::Left, Align::Right, Align::Left],
            &rows,
        );
        assert_eq!(
            text,
            "ID       N  TITLE\nINC-1    3  short\nINC-10  12  日本語 title\n"
        );
        let wide = vec![
            vec!["日本".to_string(), "x".to_string()],
            vec!["ab".to_string(), "y".to_string()],
        ];
        assert_eq!(
            render(&["A", "B"], &[], &wide),
            "A     B\n日本  x\nab    y\n"
        );
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let rows = vec![vec!["\u{1b}[31mred\u{1b}[0m\nnext".to_string()]];
        let text = render(&["TITLE"], &[], &rows);
        assert!(!text.contains('\u{1b}'));
        assert_eq!(text.lines().count(), 2);
    }
}
