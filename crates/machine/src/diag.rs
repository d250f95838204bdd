//! Diagnostics for machine descriptions: a message, a hint, and where in
//! which file the mistake is, as `file:line:col`.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A description's text and the name it is known by (a path or
/// `profile:NAME`).
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    text: Arc<str>,
}

impl Source {
    /// A source named `name` holding `text`.
    pub fn new(name: &str, text: &str) -> Self {
        Source {
            name: name.to_string(),
            text: text.into(),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column of byte offset `at`.
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map_or(before.chars().count(), |nl| {
            before[nl + 1..].chars().count()
        }) + 1;
        (line, col)
    }

    /// The location of byte offset `at`.
    pub fn locate(&self, span: &Range<usize>) -> Location {
        let (line, col) = self.line_col(span.start);
        Location {
            file: self.name.clone(),
            line,
            col,
        }
    }
}

/// A place in a description file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (or profile) name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One mistake in a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is, when known.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
    /// How to put it right.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `location`.
    pub fn at(location: Location, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic {
            location: Some(location),
            message: message.into(),
            hint,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every mistake found in one description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl Diagnostics {
    /// The first diagnostic, if any.
    pub fn first(&self) -> Option<&Diagnostic> {
        self.0.first()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_one_based_line_and_column() {
        let s = Source::new("m.toml", "a = 1\nbb = 2\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        assert_eq!(s.line_col(11), (2, 6));
        let d = Diagnostic::at(s.locate(&(6..8)), "bad", Some("fix it".into()));
        assert_eq!(d.to_string(), "m.toml:2:1: error: bad\n  hint: fix it");
    }
}
