//! Untrusted log text made safe for a terminal: ANSI/VT escape sequences
//! (CSI, OSC, DCS and the rest) are removed whole, other control characters
//! (C0 except tab, DEL, C1) are dropped and tabs become spaces, so a crafted
//! log line cannot move the cursor, retitle the window, or hide text.

use std::borrow::Cow;

/// `text` without escape sequences or control characters.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI / OSC / DCS introducers start sequences too.
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_control(c: char) -> bool {
    (c.is_control() && c != ' ') || c == '\u{7f}'
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_until_final(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Two-byte sequences (ESC c, ESC 7, ESC ( B ...): drop the next char,
        // and for charset selection the one after it.
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameters and intermediates until a final byte in `@`..=`~`.
fn skip_until_final(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/PM/APC: until BEL or ST (`ESC \` or U+009C).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' if chars.peek() == Some(&'\\') => {
                chars.next();
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            for_terminal("cannot bind '0.0.0.0:80'"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        assert_eq!(for_terminal("a\u{1b}[31;1mred\u{1b}[0m b"), "ared b");
        assert_eq!(for_terminal("x\u{1b}]0;pwned title\u{7}y"), "xy");
        assert_eq!(
            for_terminal("x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(for_terminal("a\tb\rc\u{8}d\u{7f}e\u{9b}2Jf"), "a bcdef");
        assert_eq!(for_terminal("\u{1b}(Bok\u{1b}c"), "ok");
    }
}
